using Xent;
using Xent.Data;

// Reads a CSV, trains, saves, loads back (the model file's JSON is source-generated) and exports to ONNX, natively compiled.
string folder = Directory.CreateTempSubdirectory("xent-aot-").FullName;
try
{
    string csv = Path.Combine(folder, "iris.csv");
    File.WriteAllText(csv, Iris.CsvText());
    Table table = CsvData.ReadTable(csv, new CsvOptions { Label = "species" });
    Classifier model = Classifier.Train(table, new ClassifierOptions { Trainer = new TrainerOptions { Seed = 1, Epochs = 50 } });
    string path = Path.Combine(folder, "iris.safetensors");
    model.Save(path);
    Classifier again = Classifier.Load(path);
    OnnxExport.Save(again, Path.Combine(folder, "iris.onnx"));
    Console.WriteLine($"{again.Predict([5.1f, 3.5f, 1.4f, 0.2f])} after {again.TrainingResult!.Epochs} epochs of {again.Options.Trainer.Optimizer}");
}
finally { Directory.Delete(folder, recursive: true); }
