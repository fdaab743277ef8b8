using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Xent.Data;
using Xent.Models;
using Xent.Tests.Data;

namespace Xent.Cli.Tests;

/// <summary>train, predict, evaluate and export-onnx on a table with categorical columns and missing values.</summary>
public sealed class TablesCommandTests() : TemporaryFolderTests("xent-tables-")
{
    private string Write(string name, string text)
    {
        string path = Path.Combine(Folder, name);
        File.WriteAllText(path, text);
        return path;
    }

    private string TrainMixed(out JsonDocument summary)
    {
        string train = Write("train.csv", MixedTable.Csv(500, 1));
        string model = Path.Combine(Folder, "model.safetensors");
        CliRunner.Result r = CliRunner.Run("train", "--data", train, "--categorical", "postcode", "--max-categories", "5", "--hidden", "12", "--epochs", "40", "--out", model, "--json");
        Assert.True(r.ExitCode == 0, r.Error);
        summary = JsonDocument.Parse(r.Output);
        return model;
    }

    [Fact]
    public void TheSummaryListsTheColumnsByTypeWithCategoriesAndMissingCounts()
    {
        TrainMixed(out JsonDocument summary);
        using (summary)
        {
            JsonElement[] columns = summary.RootElement.GetProperty("columns").EnumerateArray().ToArray();
            Assert.Equal(["age", "income", "country", "plan", "postcode"], columns.Select(c => c.GetProperty("name").GetString()));
            Assert.Equal(["numeric", "numeric", "categorical", "categorical", "categorical"], columns.Select(c => c.GetProperty("type").GetString()));
            Assert.True(columns[0].GetProperty("missing").GetInt32() > 0);
            Assert.Equal(0, columns[1].GetProperty("missing").GetInt32());
            Assert.Equal(JsonValueKind.Null, columns[0].GetProperty("categories").ValueKind);
            Assert.Equal(8, columns[2].GetProperty("categories").GetInt32());
            Assert.Equal(5, columns[2].GetProperty("categoriesKept").GetInt32());
            Assert.Equal(3, columns[3].GetProperty("categories").GetInt32());     // " basic " is "basic"
            Assert.Equal(5, columns[4].GetProperty("categories").GetInt32());     // 0, 1, 01, 2, 3: codes as written
        }

        CliRunner.Result human = CliRunner.Run("train", "--data", Path.Combine(Folder, "train.csv"), "--epochs", "2");
        Assert.True(human.ExitCode == 0, human.Error);
        Assert.Contains("5 columns encoded as", human.Output);
        Assert.Matches(@"Numeric columns \(3\): age \(\d+ missing\), income, postcode", human.Output);
        Assert.Matches(@"Categorical columns \(2\): country \(8 categories, \d+ missing\), plan \(3 categories\)", human.Output);
    }

    [Fact]
    public void TheCliTheLibraryAfterLoadAndOnnxRuntimeGiveTheSamePredictions()
    {
        string model = TrainMixed(out JsonDocument summary);
        summary.Dispose();
        string test = Write("test.csv", MixedTable.Csv(150, 2, unseen: true));

        CliRunner.Result predict = CliRunner.Run("predict", "--model", model, "--data", test, "--json");
        Assert.True(predict.ExitCode == 0, predict.Error);
        using JsonDocument json = JsonDocument.Parse(predict.Output);
        float[] cli = json.RootElement.GetProperty("predictions").EnumerateArray().SelectMany(p => p.GetProperty("probabilities").EnumerateArray().Select(v => v.GetSingle())).ToArray();
        int unseen = json.RootElement.GetProperty("unseen").GetProperty("country").GetInt32();
        Assert.True(unseen > 0);
        Assert.True(json.RootElement.GetProperty("missing").GetProperty("age").GetInt32() > 0);

        Classifier loaded = Classifier.Load(model);
        Table table = CsvData.ReadTable(test, loaded.ReadingOptions());
        var report = new EncodingReport();
        float[] library = loaded.PredictProbabilities(table, report);
        Assert.Equal(library, cli);
        Assert.Equal(unseen, report.Unseen["country"]);

        string onnx = Path.Combine(Folder, "model.onnx");
        CliRunner.Result export = CliRunner.Run("export-onnx", "--model", model, "--out", onnx, "--json");
        Assert.True(export.ExitCode == 0, export.Error);
        using (JsonDocument exported = JsonDocument.Parse(export.Output))
            Assert.Equal(["age", "income", "country", "plan", "postcode"], exported.RootElement.GetProperty("inputs").EnumerateArray().Select(i => i.GetString()));
        CliRunner.Result exportHuman = CliRunner.Run("export-onnx", "--model", model, "--out", Path.Combine(Folder, "again.onnx"));
        Assert.Contains("inputs 'age' [batch, 1] float, 'income' [batch, 1] float, 'country' [batch, 1] string", exportHuman.Output);
        using var session = new InferenceSession(onnx);
        var inputs = table.Columns.Select(c => c.Kind == ColumnKind.Numeric
            ? NamedOnnxValue.CreateFromTensor(c.Name, new DenseTensor<float>(c.Numbers, [table.RowCount, 1]))
            : NamedOnnxValue.CreateFromTensor(c.Name, new DenseTensor<string>(c.Categories.Select(k => k ?? "").ToArray(), [table.RowCount, 1]))).ToList();
        using var results = session.Run(inputs);
        float[] ort = results.First(r => r.Name == "probabilities").AsEnumerable<float>().ToArray();
        for (int i = 0; i < cli.Length; i++) Assert.True(Math.Abs(cli[i] - ort[i]) < 1e-5, $"probability {i}: xent {cli[i]}, ONNX Runtime {ort[i]}");

        // Human output: the predictions stay a clean CSV on stdout; the note on unseen categories goes to stderr.
        CliRunner.Result human = CliRunner.Run("predict", "--model", model, "--data", test);
        Assert.Equal(0, human.ExitCode);
        Assert.Equal(151, human.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Contains($"country {unseen} rows (e.g. 'XX')", human.Error);

        CliRunner.Result evaluate = CliRunner.Run("evaluate", "--model", model, "--data", test, "--json");
        Assert.True(evaluate.ExitCode == 0, evaluate.Error);
        using JsonDocument e = JsonDocument.Parse(evaluate.Output);
        Assert.Equal(unseen, e.RootElement.GetProperty("unseen").GetProperty("country").GetInt32());
        Assert.Equal(loaded.Evaluate(CsvData.ReadTable(test, loaded.ReadingOptions(new CsvOptions()))).LogLoss, e.RootElement.GetProperty("logLoss").GetDouble(), 10);
        CliRunner.Result evaluateHuman = CliRunner.Run("evaluate", "--model", model, "--data", test);
        Assert.Contains("Categories never seen in training were read as 'other'", evaluateHuman.Output);
        Assert.Contains("Missing values were filled as in training", evaluateHuman.Output);
    }

    [Fact]
    public void MissingErrorIsStrictInTrainingAndPrediction()
    {
        string data = Write("holes.csv", "a,b,label\n1,2,x\n,4,y\n5,6,x\n7,8,y\n");
        CliRunner.AssertOneLineError(CliRunner.Run("train", "--data", data, "--missing", "error"), "holes.csv, line 3, column 'a': missing value");
        string model = Path.Combine(Folder, "m.safetensors");
        Assert.Equal(0, CliRunner.Run("train", "--data", data, "--epochs", "2", "--validation", "0", "--out", model).ExitCode);
        Assert.Equal(0, CliRunner.Run("predict", "--model", model, "--data", data).ExitCode);
        CliRunner.AssertOneLineError(CliRunner.Run("predict", "--model", model, "--data", data, "--missing", "error"), "line 3, column 'a': missing value");

        string strict = Path.Combine(Folder, "strict.safetensors");
        string full = Write("full.csv", "a,b,label\n1,2,x\n3,4,y\n5,6,x\n7,8,y\n");
        Assert.Equal(0, CliRunner.Run("train", "--data", full, "--epochs", "2", "--validation", "0", "--missing", "error", "--out", strict).ExitCode);
        // The model remembers the policy it was trained with; --missing impute overrides it.
        CliRunner.AssertOneLineError(CliRunner.Run("evaluate", "--model", strict, "--data", data), "line 3, column 'a': missing value");
        Assert.Equal(0, CliRunner.Run("evaluate", "--model", strict, "--data", data, "--missing", "impute").ExitCode);
    }

    [Fact]
    public void UnlabelledRowsCanBeDropped()
    {
        string data = Write("unlabelled.csv", "a,b,label\n1,2,x\n3,4,\n5,6,y\n7,8,x\n9,1,y\n");
        CliRunner.AssertOneLineError(CliRunner.Run("train", "--data", data), "line 3, column 'label': the label is missing");
        CliRunner.Result r = CliRunner.Run("train", "--data", data, "--drop-unlabelled", "--epochs", "2", "--validation", "0", "--json");
        Assert.True(r.ExitCode == 0, r.Error);
        using JsonDocument json = JsonDocument.Parse(r.Output);
        Assert.Equal(1, json.RootElement.GetProperty("droppedRows").GetInt32());
    }

    [Fact]
    public void ValidationDataIsReadWithTheTrainingTypesAndACheckpointedRunResumesWithThem()
    {
        string train = Write("train.csv", "size,colour,label\n1,red,x\n2,blue,y\n3,red,x\n4,green,y\n5,blue,x\n6,red,y\n");
        // In this file every colour looks like a number; read on its own it would be numeric, here it is the training's categories.
        string validation = Write("validation.csv", "size,colour,label\n1,7,x\n,red,y\n");
        CliRunner.Result r = CliRunner.Run("train", "--data", train, "--validation-data", validation, "--epochs", "3", "--json");
        Assert.True(r.ExitCode == 0, r.Error);

        string checkpoint = Path.Combine(Folder, "ckpt");
        string[] run = ["train", "--data", train, "--categorical", "size", "--max-categories", "2", "--validation", "0", "--seed", "4"];
        string straight = Path.Combine(Folder, "straight.safetensors"), resumed = Path.Combine(Folder, "resumed.safetensors");
        Assert.Equal(0, CliRunner.Run([.. run, "--epochs", "6", "--out", straight, "--json"]).ExitCode);
        Assert.Equal(0, CliRunner.Run([.. run, "--epochs", "6", "--checkpoint-dir", checkpoint, "--checkpoint-every", "3", "--json"]).ExitCode);
        Classifier first = Classifier.Load(straight);
        Assert.Equal(["size=1", "size=2", "size (other)", "colour=red", "colour=blue", "colour (other)"], first.FeatureNames);
        // The checkpoint holds the run's settings (--categorical, --max-categories): resuming needs none of them again.
        CliRunner.Result again = CliRunner.Run("train", "--resume", checkpoint, "--out", resumed, "--json");
        Assert.True(again.ExitCode == 0, again.Error);
        Assert.Equal(first.FeatureNames, Classifier.Load(resumed).FeatureNames);
    }
}
