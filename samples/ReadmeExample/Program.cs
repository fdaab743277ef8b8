using Xent;
using Xent.Data;

File.WriteAllText("flowers.csv", Iris.CsvText());   // any CSV with a header row; here the Iris data Xent embeds
Dataset all = CsvData.Read("flowers.csv", new CsvOptions { Label = "species" }).ToDataset();
(Dataset data, Dataset test) = Split.Stratified(all, 0.2, seed: 1);
Classifier model = Classifier.Train(data, new ClassifierOptions { Hidden = [32], Trainer = new TrainerOptions { Seed = 7 } });
Console.WriteLine(model.Network);                   // Dense(4 => 32, Relu) → Dense(32 => 3)  [259 parameters]
float[] row = [5.1f, 3.5f, 1.4f, 0.2f];              // a raw (unstandardised) row, in the order of model.FeatureNames
float[] p = model.PredictProbabilities(row);        // one probability per class, summing to 1
string label = model.Predict(row);                  // setosa
ClassificationMetrics metrics = model.Evaluate(test);   // matched to the model by column and class name
Console.WriteLine($"{label} {p.Max():F2}, test accuracy {metrics.Accuracy:P0}");
model.Save("flowers.safetensors");
Classifier again = Classifier.Load("flowers.safetensors");
OnnxExport.Save(again, "flowers.onnx");
