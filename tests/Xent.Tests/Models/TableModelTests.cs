using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Xent.Data;
using Xent.Models;
using Xent.Tests.Data;
using Xent.Training;

namespace Xent.Tests.Models;

/// <summary>A classifier trained on a mixed table: saved and loaded, exported to ONNX and run by ONNX Runtime, old files.</summary>
public sealed class TableModelTests() : TemporaryFolderTests("xent-table-models-")
{
    private static Table Read(string text, CsvOptions? options = null) => CsvData.ReadTable(new StringReader(text), "mixed.csv", options ?? new CsvOptions());

    private static Classifier TrainMixed(out Table train) =>
        Classifier.Train(train = Read(MixedTable.Csv(600, 1), new CsvOptions { Categorical = ["postcode"] }),
            new ClassifierOptions { Hidden = [12], MaxCategories = 5, Trainer = new TrainerOptions { Seed = 5, Epochs = 40 } });

    [Fact]
    public void AMixedTableTrainsAndItsEncodingIsSavedAndLoaded()
    {
        Classifier model = TrainMixed(out Table train);
        Assert.Equal(["numeric", "numeric", "categorical", "categorical", "categorical"], model.Encoder.Columns.Select(c => c.Kind.ToString().ToLowerInvariant()));
        Assert.True(model.Encoder.Columns[0].MissingIndicator);
        Assert.False(model.Encoder.Columns[1].MissingIndicator);
        Assert.Equal(5, model.Encoder.Columns[2].Categories.Length);          // 8 countries, the 5 most frequent kept
        Assert.Equal(["basic", "plus", "pro"], model.Encoder.Columns[3].Categories.Order());   // trimmed
        Assert.Contains("01", model.Encoder.Columns[4].Categories);           // --categorical keeps codes as written
        Assert.True(model.Evaluate(train).Accuracy > 0.7, $"accuracy {model.Evaluate(train).Accuracy}");

        string path = Path.Combine(Folder, "mixed.safetensors");
        model.Save(path);
        Classifier loaded = Classifier.Load(path);
        Table test = Read(MixedTable.Csv(200, 2, unseen: true), loaded.ReadingOptions(new CsvOptions()));
        var before = new EncodingReport();
        var after = new EncodingReport();
        Assert.Equal(model.PredictProbabilities(test, before), loaded.PredictProbabilities(test, after));
        Assert.True(after.Unseen["country"] > 0);
        Assert.True(after.Missing["age"] > 0);
        Assert.Equal(before.Unseen, after.Unseen);
        Assert.True(after.Rare["country"] > 0);   // 8 countries, 5 kept

        // One row by column name: null and "NA" are missing, an unknown country is "other".
        var row = new Dictionary<string, object?> { ["age"] = null, ["income"] = 2500.0, ["country"] = "XX", ["plan"] = "pro", ["postcode"] = "2" };
        float[] p = loaded.PredictProbabilities(row);
        Assert.Equal(1f, p.Sum(), 4);
        Assert.Contains(loaded.Predict(row), loaded.ClassNames);
    }

    [Fact]
    public void OnnxRuntimeRunsTheWholePipelineWithOneInputPerColumn()
    {
        Classifier model = TrainMixed(out _);
        string path = Path.Combine(Folder, "mixed.onnx");
        OnnxExport.Save(model, path);
        Table test = Read(MixedTable.Csv(300, 3, unseen: true), model.ReadingOptions(new CsvOptions()));
        float[] expected = model.PredictProbabilities(test);

        using var session = new InferenceSession(path);
        Assert.Equal(["age", "country", "income", "plan", "postcode"], session.InputMetadata.Keys.Order());
        var inputs = new List<NamedOnnxValue>();
        foreach (FeatureColumn column in test.Columns)
        {
            if (column.Kind == ColumnKind.Numeric)
                inputs.Add(NamedOnnxValue.CreateFromTensor(column.Name, new DenseTensor<float>(column.Numbers, [test.RowCount, 1])));
            else   // a missing category is given as an empty string
                inputs.Add(NamedOnnxValue.CreateFromTensor(column.Name, new DenseTensor<string>(column.Categories.Select(c => c ?? "").ToArray(), [test.RowCount, 1])));
        }
        using var results = session.Run(inputs);
        float[] actual = results.First(r => r.Name == "probabilities").AsEnumerable<float>().ToArray();
        Numerical.AssertClose(expected, actual, rtol: 0, atol: 1e-5, "ONNX Runtime's probabilities against Xent's");
    }

    private static Classifier TrainIris(int epochs) =>
        Classifier.Train(Iris.Load(), new ClassifierOptions { Hidden = [8], Trainer = new TrainerOptions { Seed = 3, Epochs = epochs } });

    [Fact]
    public void AnAllNumericModelKeepsTheFeaturesInputAndImputesNaN()
    {
        Dataset iris = Iris.Load();
        Classifier model = TrainIris(epochs: 30);
        string path = Path.Combine(Folder, "iris.onnx");
        OnnxExport.Save(model, path);
        float[] rows = iris.Features.AsSpan(0, 8).ToArray();
        rows[1] = float.NaN;
        rows[6] = float.NaN;
        using var session = new InferenceSession(path);
        Assert.Equal(["features"], session.InputMetadata.Keys);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor("features", new DenseTensor<float>(rows, [2, 4]))]);
        float[] actual = results.First(r => r.Name == "probabilities").AsEnumerable<float>().ToArray();
        Table table = Table.FromRows(iris.FeatureNames, [rows[..4].Cast<object?>().ToArray(), rows[4..].Cast<object?>().ToArray()], model.ReadingOptions());
        float[] expected = model.PredictProbabilities(table);
        Numerical.AssertClose(expected, actual, rtol: 0, atol: 1e-5, "ONNX Runtime's probabilities against Xent's");
    }

    [Fact]
    public void AVersionOneFileStillLoadsAndKeepsItsStrictReading()
    {
        Dataset iris = Iris.Load();
        Classifier model = TrainIris(epochs: 20);
        string path = Path.Combine(Folder, "v1.safetensors");
        model.Save(path);
        // Rewrite it as Xent wrote files before tables: format version 1, no schema.
        (Dictionary<string, NamedTensor> tensors, Dictionary<string, string> metadata) = SafeTensors.Read(path);
        metadata["format_version"] = "1";
        metadata.Remove("schema");
        SafeTensors.Write(path, tensors.Values.ToList(), metadata);
        Classifier old = Classifier.Load(path);
        Assert.Equal(MissingValues.Error, old.Encoder.Missing);
        Assert.Equal(model.PredictProbabilities(iris.Row(7)), old.PredictProbabilities(iris.Row(7)));
        var e = Assert.Throws<DataFormatException>(() => CsvData.ReadTable(new StringReader("sepal_length,sepal_width,petal_length,petal_width\n1,,3,4\n"), "t.csv", old.ReadingOptions()));
        Assert.Contains("missing value", e.Message);
        // A file from a newer Xent is refused with a clear message.
        metadata["format_version"] = "3";
        SafeTensors.Write(path, tensors.Values.ToList(), metadata);
        Assert.Contains("format version 3 is newer", Assert.Throws<ModelFileException>(() => Classifier.Load(path)).Message);
    }
}
