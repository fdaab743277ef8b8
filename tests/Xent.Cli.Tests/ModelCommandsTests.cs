using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Xent.Data;
using Xent.Models;

namespace Xent.Cli.Tests;

/// <summary>train --data/--out, evaluate, predict, export-onnx, checkpoints and resume, and a corpus of bad inputs.</summary>
public sealed class ModelCommandsTests() : TemporaryFolderTests("xent-cli-")
{
    // Iris with string labels, shuffled rows; the label column sits in the middle and an id column is ignored.
    private string WriteIrisCsv(string name, bool withLabel = true, int rows = 150)
    {
        Dataset iris = Iris.Load();
        using var writer = new StreamWriter(PathOf(name));
        writer.WriteLine(withLabel ? "id,sepal_length,sepal_width,species,petal_length,petal_width" : "id,sepal_length,sepal_width,petal_length,petal_width");
        for (int r = 0; r < rows; r++)
        {
            int i = (r * 37) % 150;
            float[] x = iris.Row(i).ToArray();
            string f(int c) => x[c].ToString(CultureInfo.InvariantCulture);
            writer.WriteLine(withLabel ? $"{i},{f(0)},{f(1)},\"{iris.ClassNames[iris.Labels[i]]}\",{f(2)},{f(3)}" : $"{i},{f(0)},{f(1)},{f(2)},{f(3)}");
        }
        return PathOf(name);
    }

    [Fact]
    public void TrainSaveLoadEvaluateGivesTheSameMetricsAndPredictWorksWithoutLabels()
    {
        string csv = WriteIrisCsv("iris.csv");
        string model = PathOf("model.safetensors");
        CliRunner.Result train = CliRunner.Run("train", "--data", csv, "--label", "species", "--ignore", "id", "--out", model, "--epochs", "80", "--json");
        Assert.True(train.ExitCode == 0, train.Error);
        Assert.True(File.Exists(model));

        Classifier loaded = Classifier.Load(model);
        Dataset data = CsvData.Read(csv, new CsvOptions { Label = "species", Ignore = ["id"] }).ToDataset();
        var inMemory = loaded.Evaluate(data);
        CliRunner.Result evaluate = CliRunner.Run("evaluate", "--model", model, "--data", csv, "--label", "species", "--json");
        Assert.Equal(0, evaluate.ExitCode);
        using JsonDocument e = JsonDocument.Parse(evaluate.Output);
        Assert.Equal(inMemory.Accuracy, e.RootElement.GetProperty("accuracy").GetDouble());
        Assert.Equal(inMemory.LogLoss, e.RootElement.GetProperty("logLoss").GetDouble(), 12);
        Assert.Equal(["setosa", "versicolor", "virginica"], e.RootElement.GetProperty("classes").EnumerateArray().Select(c => c.GetString()));
        Assert.Equal(150, e.RootElement.GetProperty("confusionMatrix").EnumerateArray().Sum(r => r.EnumerateArray().Sum(v => v.GetInt32())));
        Assert.Equal(3, e.RootElement.GetProperty("perClass").GetArrayLength());
        Assert.True(e.RootElement.GetProperty("accuracy").GetDouble() > 0.9);

        string unlabeled = WriteIrisCsv("unlabeled.csv", withLabel: false, rows: 20);
        string predictions = PathOf("predictions.csv");
        CliRunner.Result predict = CliRunner.Run("predict", "--model", model, "--data", unlabeled, "--out", predictions, "--probabilities");
        Assert.Equal(0, predict.ExitCode);
        string[] lines = File.ReadAllLines(predictions);
        Assert.Equal("predicted,p_setosa,p_versicolor,p_virginica", lines[0]);
        Assert.Equal(21, lines.Length);
        Dataset iris = Iris.Load();
        Assert.Equal(iris.ClassNames[iris.Labels[0]], lines[1].Split(',')[0]); // row 0 of the file is Iris row 0, a setosa
        CliRunner.Result json = CliRunner.Run("predict", "--model", model, "--data", unlabeled, "--json");
        using JsonDocument p = JsonDocument.Parse(json.Output);
        Assert.Equal(20, p.RootElement.GetProperty("predictions").GetArrayLength());
        Assert.Equal(1.0, p.RootElement.GetProperty("predictions")[0].GetProperty("probabilities").EnumerateArray().Sum(v => v.GetDouble()), 5);

        CliRunner.Result onnx = CliRunner.Run("export-onnx", "--model", model, "--out", PathOf("model.onnx"), "--json");
        Assert.Equal(0, onnx.ExitCode);
        Assert.True(new FileInfo(PathOf("model.onnx")).Length > 100);
    }

    // Rows with a text column and empty cells, columns in another order than the training file's in `shuffled`.
    private string WriteMixedCsv(string name, int rows, bool shuffled, int badRow = -1)
    {
        var random = new Xent.Numerics.RandomSource(17);
        string[] cities = ["Paris", "Lyon", "Nice", "Brest"];
        using var writer = new StreamWriter(PathOf(name));
        writer.WriteLine(shuffled ? "city,size,label,score" : "size,city,score,label");
        for (int r = 0; r < rows; r++)
        {
            double sizeValue = random.NextDouble() * 100, scoreValue = random.NextGaussian();
            string size = random.NextDouble() < 0.05 ? "" : sizeValue.ToString("F2", CultureInfo.InvariantCulture);
            string city = cities[(int)(random.NextDouble() * cities.Length)];
            string score = r == badRow ? "abc" : scoreValue.ToString("R", CultureInfo.InvariantCulture);
            string label = (sizeValue > 50) ^ (city == "Paris") ? "yes" : "no";
            writer.WriteLine(shuffled ? $"{city},{size},{label},{score}" : $"{size},{city},{score},{label}");
        }
        return PathOf(name);
    }

    [Fact]
    public void PredictWritesALargeFileAChunkAtATimeAsTheWholeTablePredictsIt()
    {
        string model = PathOf("mixed.safetensors");
        Assert.Equal(0, CliRunner.Run("train", "--data", WriteMixedCsv("train.csv", 600, shuffled: false), "--epochs", "30", "--out", model, "--json").ExitCode);
        // More rows than one chunk holds, so the output is written from two chunks.
        int rows = ModelInput.RowsPerChunk + 4_000;
        string data = WriteMixedCsv("big.csv", rows, shuffled: true);
        string predictions = PathOf("predictions.csv");
        CliRunner.Result predict = CliRunner.Run("predict", "--model", model, "--data", data, "--out", predictions, "--probabilities");
        Assert.True(predict.ExitCode == 0, predict.Error);
        Assert.Contains($"Wrote {rows} predictions", predict.Output);

        Classifier loaded = Classifier.Load(model);
        Table whole = CsvData.ReadTable(data, loaded.ReadingOptions(new CsvOptions { LabelRequired = false, Missing = loaded.Encoder.Missing }));
        float[] p = loaded.PredictProbabilities(whole);
        string[] lines = File.ReadAllLines(predictions);
        Assert.Equal(rows + 1, lines.Length);
        for (int r = 0; r < rows; r += 997)
        {
            string[] fields = lines[r + 1].Split(',');
            Assert.Equal(loaded.ClassNames[p[2 * r] >= p[2 * r + 1] ? 0 : 1], fields[0]);
            Assert.Equal(p[2 * r], float.Parse(fields[1], CultureInfo.InvariantCulture));
        }
        // Standard output takes the same lines.
        CliRunner.Result piped = CliRunner.Run("predict", "--model", model, "--data", data, "--probabilities");
        Assert.Equal(File.ReadAllText(predictions).ReplaceLineEndings(), piped.Output.ReplaceLineEndings());
    }

    [Fact]
    public void EvaluateOverSeveralChunksGivesTheWholeTablesMetrics()
    {
        string model = PathOf("mixed.safetensors");
        Assert.Equal(0, CliRunner.Run("train", "--data", WriteMixedCsv("train.csv", 600, shuffled: false), "--epochs", "30", "--out", model, "--json").ExitCode);
        int rows = ModelInput.RowsPerChunk * 2 + 321;
        string data = WriteMixedCsv("big.csv", rows, shuffled: true);
        CliRunner.Result evaluate = CliRunner.Run("evaluate", "--model", model, "--data", data, "--label", "label", "--json");
        Assert.True(evaluate.ExitCode == 0, evaluate.Error);

        Classifier loaded = Classifier.Load(model);
        Table whole = CsvData.ReadTable(data, loaded.ReadingOptions(new CsvOptions { Label = "label", Missing = loaded.Encoder.Missing }));
        ClassificationMetrics expected = loaded.Evaluate(whole);
        using JsonDocument json = JsonDocument.Parse(evaluate.Output);
        Assert.Equal(expected.Accuracy, json.RootElement.GetProperty("accuracy").GetDouble());
        Assert.Equal(expected.LogLoss, json.RootElement.GetProperty("logLoss").GetDouble());
        Assert.Equal(expected.ConfusionMatrix.Select(r => r.ToArray()),
            json.RootElement.GetProperty("confusionMatrix").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetInt32()).ToArray()));
        Assert.Equal(rows, expected.ConfusionMatrix.Sum(r => r.Sum()));
    }

    [Fact]
    public void ABadRowInALaterChunkLeavesNoPredictionsFile()
    {
        string model = PathOf("mixed.safetensors");
        Assert.Equal(0, CliRunner.Run("train", "--data", WriteMixedCsv("train.csv", 600, shuffled: false), "--epochs", "5", "--out", model, "--json").ExitCode);
        int bad = ModelInput.RowsPerChunk + 100;
        string data = WriteMixedCsv("big.csv", bad + 50, shuffled: true, badRow: bad);
        string predictions = PathOf("predictions.csv");
        CliRunner.AssertOneLineError(CliRunner.Run("predict", "--model", model, "--data", data, "--out", predictions), $"line {bad + 2}, column 'score'");
        Assert.Empty(Directory.EnumerateFiles(Folder, "predictions*"));
    }

    [Fact]
    public void ASeparateValidationFileIsUsedInsteadOfASplit()
    {
        string train = WriteIrisCsv("train.csv", rows: 120);
        // Rows 120..149 of the shuffled order as the validation file.
        Dataset iris = Iris.Load();
        using (var w = new StreamWriter(PathOf("validation.csv")))
        {
            w.WriteLine("id,sepal_length,sepal_width,species,petal_length,petal_width");
            for (int row = 120; row < 150; row++)
            {
                int i = (row * 37) % 150;
                float[] x = iris.Row(i).ToArray();
                w.WriteLine(FormattableString.Invariant($"{i},{x[0]},{x[1]},{iris.ClassNames[iris.Labels[i]]},{x[2]},{x[3]}"));
            }
        }
        CliRunner.Result r = CliRunner.Run("train", "--data", train, "--validation-data", PathOf("validation.csv"), "--label", "species", "--ignore", "id", "--json");
        Assert.True(r.ExitCode == 0, r.Error);
        using JsonDocument doc = JsonDocument.Parse(r.Output);
        // All 120 training rows are trained on (no split), and the validation metrics are over the 30 rows of the file.
        Assert.True(doc.RootElement.GetProperty("validationAccuracy").GetDouble() >= 0.9, r.Output);
        Assert.Equal(0, Math.Round(doc.RootElement.GetProperty("validationAccuracy").GetDouble() * 30 % 1, 6));
        Assert.Equal(0, Math.Round(doc.RootElement.GetProperty("trainAccuracy").GetDouble() * 120 % 1, 6));
    }

    [Fact]
    public void ExistingOutputIsNeverOverwrittenWithoutForce()
    {
        string csv = WriteIrisCsv("iris.csv");
        string model = PathOf("model.safetensors");
        File.WriteAllText(model, "precious");
        CliRunner.AssertOneLineError(CliRunner.Run("train", "--data", csv, "--out", model, "--epochs", "3"), "already exists");
        Assert.Equal("precious", File.ReadAllText(model));
        Assert.Equal(0, CliRunner.Run("train", "--data", csv, "--out", model, "--epochs", "3", "--force", "--ignore", "id", "--label", "species").ExitCode);
        Assert.NotEqual("precious", File.ReadAllText(model));
    }

    public static TheoryData<string, string> BadInputs() => new()
    {
        { "train|--data|{missing.csv}", "no such file" },
        { "train|--data|{empty.csv}", "the file is empty" },
        { "train|--data|{header-only.csv}", "no data rows" },
        { "train|--data|{ragged.csv}", "line 3: 2 fields but the header has 3" },
        { "train|--data|{text.csv}|--numeric|a", "line 2, column 'a': 'hello' is not a number" },
        { "train|--data|{nan.csv}|--missing|error", "line 3, column 'b': 'NaN' is not a finite number" },
        { "train|--data|{missing-value.csv}|--missing|error", "line 2, column 'b': missing value" },
        { "train|--data|{one-class.csv}", "at least two classes" },
        { "train|--data|{good.csv}|--label|nope", "no label column 'nope'" },
        { "train|--data|{good.csv}|--ignore|zz", "--ignore names the column 'zz'" },
        { "train|--data|{good.csv}|--delimiter|ab", "--delimiter must be one character" },
        { "train|--data|{good.csv}|--class-weights|1,2,3", "--class-weights has 3 weights but the data has 2 classes" },
        { "train|--data|{good.csv}|--optimizer|lbfgs", "--optimizer: 'lbfgs' is not one of 'sgd', 'adam', 'adamw'" },
        { "train|--data|{good.csv}|--validation|1.5", "--validation must be in [0, 1)" },
        { "train|--data|{good.csv}|--nesterov", "--nesterov needs --optimizer sgd" },
        { "train|--resume|{no-such-dir}", "no such folder" },
        { "evaluate|--model|{corrupt.safetensors}|--data|{good.csv}", "too short" },
        { "evaluate|--model|{hostile.safetensors}|--data|{good.csv}", "more than the" },
        { "evaluate|--model|{model.safetensors}|--data|{wrong-columns.csv}", "needs the feature column 'a'" },
        { "evaluate|--model|{model.safetensors}|--data|{unknown-class.csv}", "class 'zebra' is not one the model knows" },
        { "evaluate|--model|{model.safetensors}", "--data" },
        { "predict|--model|{not-a-model.safetensors}|--data|{good.csv}|--out|{out.csv}", "not valid JSON" },
        { "predict|--model|{model.safetensors}|--data|{text.csv}|--out|{out.csv}", "'hello' is not a number" },
        { "export-onnx|--model|{corrupt.safetensors}|--out|{out.onnx}", "too short" },
    };

    [Theory]
    [MemberData(nameof(BadInputs))]
    public void BadInputIsRejectedWithOneLineAndNoPartialOutput(string args, string message)
    {
        File.WriteAllText(PathOf("empty.csv"), "");
        File.WriteAllText(PathOf("header-only.csv"), "a,b,label\n");
        File.WriteAllText(PathOf("ragged.csv"), "a,b,label\n1,2,x\n3,y\n");
        File.WriteAllText(PathOf("text.csv"), "a,b,label\nhello,2,x\n3,4,y\n");
        File.WriteAllText(PathOf("nan.csv"), "a,b,label\n1,2,x\n3,NaN,y\n");
        File.WriteAllText(PathOf("missing-value.csv"), "a,b,label\n1,,x\n3,4,y\n");
        File.WriteAllText(PathOf("one-class.csv"), "a,b,label\n1,2,x\n3,4,x\n");
        File.WriteAllText(PathOf("good.csv"), "a,b,label\n1,2,x\n3,4,y\n5,6,x\n7,8,y\n9,10,x\n11,12,y\n");
        File.WriteAllText(PathOf("wrong-columns.csv"), "c,d,label\n1,2,x\n");
        File.WriteAllText(PathOf("unknown-class.csv"), "a,b,label\n1,2,zebra\n");
        File.WriteAllBytes(PathOf("corrupt.safetensors"), [1, 2, 3]);
        File.WriteAllBytes(PathOf("hostile.safetensors"), [255, 255, 255, 255, 255, 255, 0, 0, (byte)'{', (byte)'}']);
        File.WriteAllBytes(PathOf("not-a-model.safetensors"), [5, 0, 0, 0, 0, 0, 0, 0, (byte)'h', (byte)'e', (byte)'l', (byte)'l', (byte)'o']);
        if (args.Contains("{model.safetensors}"))
            Assert.Equal(0, CliRunner.Run("train", "--data", PathOf("good.csv"), "--out", PathOf("model.safetensors"), "--epochs", "2", "--validation", "0").ExitCode);
        string[] before = Directory.GetFiles(Folder);
        string[] argv = args.Split('|').Select(a => a.StartsWith('{') ? PathOf(a.Trim('{', '}')) : a).ToArray();
        CliRunner.Result r = CliRunner.Run(argv);
        Assert.NotEqual(0, r.ExitCode);
        CliRunner.AssertOneLineError(r, message, r.ExitCode);
        Assert.Equal(before.Order(), Directory.GetFiles(Folder).Order()); // nothing written, not even a temporary file
    }

    // A CSV in the test's folder: columns x0, x1, … of standard normal numbers, and a label column "c" + label(x, row).
    private void WriteGaussianCsv(string name, int features, int rows, long seed, Func<double[], int, int> label)
    {
        var random = new Xent.Numerics.RandomSource(seed);
        using var w = new StreamWriter(PathOf(name));
        w.WriteLine(string.Join(",", Enumerable.Range(0, features).Select(i => $"x{i}")) + ",label");
        for (int r = 0; r < rows; r++)
        {
            double[] x = Enumerable.Range(0, features).Select(_ => random.NextGaussian()).ToArray();
            w.WriteLine(string.Join(",", x.Select(v => v.ToString("R", CultureInfo.InvariantCulture))) + $",c{label(x, r)}");
        }
    }

    [Fact]
    public void AKilledRunResumedFromItsCheckpointEndsWithTheSameModelBitForBit()
    {
        // A data set big enough that training takes a few seconds, so the run can be killed in the middle.
        WriteGaussianCsv("big.csv", 20, 4000, seed: 1, (x, _) => (x[0] + x[1] * x[2] > 0 ? 1 : 0) + (x[3] > 0.5 ? 1 : 0));
        string[] common = ["train", "--data", PathOf("big.csv"), "--hidden", "64,32", "--epochs", "300", "--no-early-stopping", "--checkpoint-every", "1", "--seed", "5", "--json"];
        Assert.Equal(0, CliRunner.Run([.. common, "--out", PathOf("straight.safetensors")]).ExitCode);

        string checkpoints = PathOf("checkpoints");
        string xent = Path.Combine(AppContext.BaseDirectory, "xent.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in new[] { xent }.Concat(common).Concat(["--checkpoint-dir", checkpoints, "--out", PathOf("resumed.safetensors")])) start.ArgumentList.Add(a);
        using (Process child = Process.Start(start)!)
        {
            string checkpoint = Path.Combine(checkpoints, Checkpoint.FileName);
            var clock = Stopwatch.StartNew();
            // Wait for a few checkpoints, then kill the process without warning.
            while (clock.Elapsed < TimeSpan.FromSeconds(60) && !child.HasExited && !(File.Exists(checkpoint) && ReadEpoch(checkpoint) >= 5)) Thread.Sleep(20);
            Assert.False(child.HasExited, "the run finished before it could be killed; make it longer");
            child.Kill(entireProcessTree: true); // SIGKILL
            child.WaitForExit();
        }
        Assert.False(File.Exists(PathOf("resumed.safetensors")));
        int killedAt = ReadEpoch(Path.Combine(checkpoints, Checkpoint.FileName));
        Assert.InRange(killedAt, 5, 299);
        CliRunner.Result resumed = CliRunner.Run("train", "--resume", checkpoints, "--json");
        Assert.Equal(0, resumed.ExitCode);
        Assert.Equal(File.ReadAllBytes(PathOf("straight.safetensors")), File.ReadAllBytes(PathOf("resumed.safetensors")));
    }

    [Fact]
    public void TheModelIsBitIdenticalWhateverTheNumberOfThreads()
    {
        // Wide enough (batch 128 × 300 inputs × 512 units) that the products are split over the worker threads.
        WriteGaussianCsv("wide.csv", 300, 600, seed: 2, (_, row) => row % 3);
        string xent = Path.Combine(AppContext.BaseDirectory, "xent.dll");
        foreach (int cores in new[] { 1, 2 })
        {
            var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (string a in new[] { xent, "train", "--data", PathOf("wide.csv"), "--hidden", "512", "--batch-size", "128", "--epochs", "3",
                "--no-early-stopping", "--json", "--out", PathOf($"cores{cores}.safetensors") }) start.ArgumentList.Add(a);
            start.Environment["DOTNET_PROCESSOR_COUNT"] = cores.ToString(CultureInfo.InvariantCulture);
            using Process child = Process.Start(start)!;
            string error = child.StandardError.ReadToEnd();
            child.WaitForExit();
            Assert.True(child.ExitCode == 0, error);
        }
        Assert.Equal(File.ReadAllBytes(PathOf("cores1.safetensors")), File.ReadAllBytes(PathOf("cores2.safetensors")));
    }

    private static int ReadEpoch(string checkpoint)
    {
        try
        {
            (_, Dictionary<string, string> metadata) = SafeTensors.Read(checkpoint);
            using JsonDocument state = JsonDocument.Parse(metadata["state"]);
            return state.RootElement.GetProperty("epoch").GetInt32();
        }
        catch (IOException) { return 0; } // being replaced at this moment
    }
}
