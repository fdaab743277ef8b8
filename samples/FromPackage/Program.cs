using Xent;
using Xent.Data;

// Train on the Iris data the package embeds, then predict one flower given by feature name.
Classifier model = Classifier.Train(Iris.Load(), new ClassifierOptions { Trainer = new TrainerOptions { Seed = 1 } });
var flower = new Dictionary<string, float> { ["sepal_length"] = 6.3f, ["sepal_width"] = 3.3f, ["petal_length"] = 6.0f, ["petal_width"] = 2.5f };
float[] p = model.PredictProbabilities(flower);
Console.WriteLine($"{model.ClassNames[Array.IndexOf(p, p.Max())]} {p.Max():F2}");
