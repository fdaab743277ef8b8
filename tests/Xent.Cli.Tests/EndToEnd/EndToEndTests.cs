using System.Globalization;
using System.Text.Json;
using Xent.Data;

namespace Xent.Cli.Tests.EndToEnd;

/// <summary>
/// Every command run as users run it: the built xent as a child process, piped and on a pseudo-terminal, interrupted
/// with Ctrl-C and SIGTERM (once and twice), and two runs racing for one output.
/// </summary>
[Collection(nameof(EndToEndCollection))]
public sealed class EndToEndTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("xent-e2e-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string PathOf(string name) => Path.Combine(_dir, name);

    // Iris with the label column in the middle, an id column, and a class name that looks like console markup.
    private string WriteIris(string name, bool reorder = false)
    {
        Dataset iris = Iris.Load();
        using var w = new StreamWriter(PathOf(name));
        w.WriteLine(reorder ? "petal_width,id,species,sepal_width,petal_length,sepal_length" : "id,sepal_length,sepal_width,species,petal_length,petal_width");
        for (int r = 0; r < iris.RowCount; r++)
        {
            float[] x = iris.Row(r).ToArray();
            string f(int c) => x[c].ToString(CultureInfo.InvariantCulture);
            string species = iris.Labels[r] == 2 ? "\"[virginica]\"" : iris.ClassNames[iris.Labels[r]];
            w.WriteLine(reorder ? $"{f(3)},{r},{species},{f(1)},{f(2)},{f(0)}" : $"{r},{f(0)},{f(1)},{species},{f(2)},{f(3)}");
        }
        return PathOf(name);
    }

    // Enough rows that an epoch takes a while: interrupts land in the middle of training.
    private string WriteBig(string name, int rows = 20000)
    {
        var random = new Xent.Numerics.RandomSource(1);
        using var w = new StreamWriter(PathOf(name));
        w.WriteLine(string.Join(",", Enumerable.Range(0, 20).Select(i => $"x{i}")) + ",label");
        for (int r = 0; r < rows; r++)
        {
            double[] x = Enumerable.Range(0, 20).Select(_ => random.NextGaussian()).ToArray();
            w.WriteLine(string.Join(",", x.Select(v => v.ToString("F4", CultureInfo.InvariantCulture))) + (x[0] + x[1] * x[2] > 0 ? ",a" : ",b"));
        }
        return PathOf(name);
    }

    private static readonly string[] LongRun = ["--epochs", "100000", "--no-early-stopping", "--hidden", "64", "--seed", "3"];

    [Fact]
    public void EveryCommandWorksPipedInHumanAndJsonMode()
    {
        string iris = WriteIris("iris.csv");
        string reordered = WriteIris("reordered.csv", reorder: true);
        var narrow = new Dictionary<string, string> { ["COLUMNS"] = "40" };

        XentProcess.Result train = XentProcess.Run(_dir, narrow, "train", "--data", iris, "--label", "species", "--ignore", "id", "--out", "m.safetensors", "--epochs", "60");
        Assert.True(train.ExitCode == 0, train.ToString());
        // Piped output is never wrapped, whatever COLUMNS says: each progress line holds all its values.
        string[] epochLines = train.Output.Split('\n').Where(l => l.StartsWith("epoch", StringComparison.Ordinal)).ToArray();
        Assert.NotEmpty(epochLines);
        Assert.All(epochLines, l => Assert.Matches(@"validation accuracy +\d+\.\d %  learning rate [\d.]+$", l));
        Assert.Contains("[virginica]", train.Output);   // a class name with brackets is text, not markup

        XentProcess.Result json = XentProcess.Run(_dir, "train", "--data", iris, "--label", "species", "--ignore", "id", "--epochs", "5", "--json");
        Assert.True(json.ExitCode == 0, json.ToString());
        using (JsonDocument doc = JsonDocument.Parse(json.Output)) Assert.Equal(5, doc.RootElement.GetProperty("epochs").GetInt32());

        // Evaluate on a file whose columns come in another order: the same numbers as on the training file's order.
        XentProcess.Result evaluate = XentProcess.Run(_dir, "evaluate", "--model", "m.safetensors", "--data", iris, "--label", "species", "--json");
        XentProcess.Result evaluateReordered = XentProcess.Run(_dir, "evaluate", "--model", "m.safetensors", "--data", reordered, "--label", "species", "--json");
        Assert.True(evaluate.ExitCode == 0, evaluate.ToString());
        Assert.Equal(evaluate.Output, evaluateReordered.Output);
        XentProcess.Result evaluateHuman = XentProcess.Run(_dir, narrow, "evaluate", "--model", "m.safetensors", "--data", reordered, "--label", "species");
        Assert.True(evaluateHuman.ExitCode == 0, evaluateHuman.ToString());
        Assert.Contains("accuracy", evaluateHuman.Output);

        XentProcess.Result predict = XentProcess.Run(_dir, "predict", "--model", "m.safetensors", "--data", reordered, "--probabilities");
        XentProcess.Result predictOriginal = XentProcess.Run(_dir, "predict", "--model", "m.safetensors", "--data", iris, "--probabilities");
        Assert.True(predict.ExitCode == 0, predict.ToString());
        Assert.Equal(predictOriginal.Output, predict.Output);
        Assert.Equal(151, predict.Output.TrimEnd('\n').Split('\n').Length);
        Assert.Equal(0, XentProcess.Run(_dir, "predict", "--model", "m.safetensors", "--data", iris, "--out", "p.csv").ExitCode);
        Assert.Equal(predict.Output.Split('\n').Length, File.ReadAllText(PathOf("p.csv")).Split('\n').Length);
        XentProcess.Result predictJson = XentProcess.Run(_dir, "predict", "--model", "m.safetensors", "--data", iris, "--json");
        using (JsonDocument doc = JsonDocument.Parse(predictJson.Output)) Assert.Equal(150, doc.RootElement.GetProperty("predictions").GetArrayLength());

        XentProcess.Result export = XentProcess.Run(_dir, narrow, "export-onnx", "--model", "m.safetensors", "--out", "m.onnx");
        Assert.True(export.ExitCode == 0, export.ToString());
        Assert.Contains("[batch, 4]", export.Output);
        Assert.True(XentProcess.Run(_dir, "export-onnx", "--model", "m.safetensors", "--out", "m2.onnx", "--json").ExitCode == 0);

        XentProcess.Result explain = XentProcess.Run(_dir, "explain");
        Assert.True(explain.ExitCode == 0, explain.ToString());
        Assert.Contains("0.5677", explain.Output);
        using (JsonDocument doc = JsonDocument.Parse(XentProcess.Run(_dir, "explain", "--json").Output)) Assert.True(doc.RootElement.TryGetProperty("descent", out _) || doc.RootElement.EnumerateObject().Any());

        XentProcess.Result loss = XentProcess.Run(_dir, "loss", "--logits", "1.04,0,0.14", "--targets", "0");
        Assert.True(loss.ExitCode == 0, loss.ToString());
        XentProcess.Result lossJson = XentProcess.Run(_dir, "loss", "--logits", "1,2;3,4", "--targets", "0;-100", "--reduction", "none", "--json");
        Assert.True(lossJson.ExitCode == 0, lossJson.ToString());
        using (JsonDocument doc = JsonDocument.Parse(lossJson.Output)) Assert.NotNull(doc);

        foreach (XentProcess.Result r in new[] { train, json, evaluate, evaluateHuman, predict, export, explain, loss, lossJson })
        {
            XentProcess.AssertCleanError(r);
            Assert.Equal("", r.Error);
        }
    }

    [Fact]
    public void EveryCommandWorksOnAPseudoTerminalAtItsWidth()
    {
        string iris = WriteIris("iris.csv");
        XentProcess.Result train = XentProcess.RunInTerminal(_dir, 100, "train", "--data", iris, "--label", "species", "--ignore", "id", "--out", "m.safetensors", "--epochs", "30");
        Assert.True(train.ExitCode == 0, train.ToString());
        Assert.Contains("Saved the model", train.Output);
        Assert.Contains("\u001b[?25h", train.Output);   // the live progress bar shows the cursor again
        Assert.True(File.Exists(PathOf("m.safetensors")));
        // On a terminal the terminal's width is used: no rendered line is wider than it.
        string plain = System.Text.RegularExpressions.Regex.Replace(train.Output, @"\u001b\[[0-9;?]*[A-Za-z]", "");
        Assert.All(plain.Split('\n', '\r'), l => Assert.True(l.Length <= 100, $"line longer than the terminal: '{l}'"));

        foreach (string[] args in new[]
        {
            new[] { "evaluate", "--model", "m.safetensors", "--data", iris, "--label", "species" },
            ["predict", "--model", "m.safetensors", "--data", iris],
            ["export-onnx", "--model", "m.safetensors", "--out", "m.onnx"],
            ["explain", "--parameter", "w6"],
            ["loss", "--logits", "1,2,3", "--targets", "2"],
            ["--help"],
        })
        {
            XentProcess.Result r = XentProcess.RunInTerminal(_dir, 100, args);
            Assert.True(r.ExitCode == 0, $"{string.Join(" ", args)}: {r}");
            XentProcess.AssertCleanError(r with { Error = r.Output });
        }
        XentProcess.Result bad = XentProcess.RunInTerminal(_dir, 100, "train", "--learning-rate", "0,01");
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("--learning-rate takes a number with '.' as the decimal point", bad.Output);
    }

    [Theory]
    [InlineData("INT", 130)]
    [InlineData("TERM", 143)]
    public void OneSignalStopsAfterTheBatchSavesTheCheckpointAndTheResumedRunEqualsAnUninterruptedOne(string signal, int exitCode)
    {
        // Long enough (100 epochs of 200 steps through two 64-unit layers) that the signal sent after the first epoch's line
        // always lands in the middle of training, on a quiet machine too; light enough that the three runs stay well within
        // the two minutes a process may take on a loaded machine (6,000 rows through 128-unit layers did not, at load 20).
        string big = WriteBig("big.csv", 4000);
        string[] run = ["train", "--data", big, "--epochs", "100", "--no-early-stopping", "--hidden", "64,64", "--seed", "3", "--batch-size", "16"];
        Assert.Equal(0, XentProcess.Run(_dir, [.. run, "--out", "straight.safetensors", "--json"]).ExitCode);

        XentProcess.Result interrupted;
        using (XentProcess.Running r = XentProcess.Start(_dir, null, [.. run, "--out", "resumed.safetensors", "--checkpoint-dir", "ckpt", "--checkpoint-every", "100"]))
        {
            r.WaitForOutput("epoch     1/100");
            r.Signal(signal);
            interrupted = r.Finish();
        }
        Assert.Equal(exitCode, interrupted.ExitCode);
        XentProcess.AssertCleanError(interrupted);
        string[] errorLines = interrupted.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(errorLines);
        Assert.Matches(@"^xent train: interrupted in epoch \d+ of 100; saved the run's state in .*ckpt; continue it with: xent train --resume .*ckpt$", errorLines[0]);
        Assert.False(File.Exists(PathOf("resumed.safetensors")), "an interrupted run must not write --out");
        Assert.True(File.Exists(Path.Combine(PathOf("ckpt"), "checkpoint.safetensors")));

        XentProcess.Result resumed = XentProcess.Run(_dir, "train", "--resume", "ckpt", "--json");
        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        Assert.Equal(File.ReadAllBytes(PathOf("straight.safetensors")), File.ReadAllBytes(PathOf("resumed.safetensors")));
    }

    [Fact]
    public void AStreamedRunInterruptedMidEpochRemovesItsCacheAndResumesToTheUninterruptedModel()
    {
        // 4000 rows (about 0.6 MB of CSV) against a 100 KB limit: streamed, in blocks of 4 KB and a buffer of 25 KB; 60 epochs
        // of 200 steps, so that the signal sent after the first epoch's line lands mid-training on a quiet machine too.
        string big = WriteBig("big.csv", 4000);
        Directory.CreateDirectory(PathOf("cache"));
        string[] run = ["train", "--data", big, "--epochs", "60", "--no-early-stopping", "--hidden", "64,64", "--seed", "3", "--batch-size", "16",
            "--memory-limit", "100KB", "--cache-dir", "cache"];
        XentProcess.Result straight = XentProcess.Run(_dir, [.. run, "--out", "straight.safetensors", "--json"]);
        Assert.True(straight.ExitCode == 0, straight.ToString());
        Assert.Contains("\"streamed\":true", straight.Output);
        Assert.Empty(Directory.EnumerateFileSystemEntries(PathOf("cache")));

        XentProcess.Result interrupted;
        using (XentProcess.Running r = XentProcess.Start(_dir, null, [.. run, "--out", "resumed.safetensors", "--checkpoint-dir", "ckpt", "--checkpoint-every", "100"]))
        {
            r.WaitForOutput("epoch     1/60");
            r.Signal("INT");
            interrupted = r.Finish();
        }
        Assert.Equal(130, interrupted.ExitCode);
        XentProcess.AssertCleanError(interrupted);
        Assert.Matches(@"interrupted in epoch \d+ of 60; saved the run's state", interrupted.Error);
        Assert.Empty(Directory.EnumerateFileSystemEntries(PathOf("cache")));

        XentProcess.Result resumed = XentProcess.Run(_dir, "train", "--resume", "ckpt", "--json");
        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        Assert.Equal(File.ReadAllBytes(PathOf("straight.safetensors")), File.ReadAllBytes(PathOf("resumed.safetensors")));
        Assert.Empty(Directory.EnumerateFileSystemEntries(PathOf("cache")));

        // On a terminal the pass over the data has a progress line of its own, beside the epochs'.
        XentProcess.Result shown = XentProcess.RunInTerminal(_dir, 120, "train", "--data", big, "--epochs", "2", "--memory-limit", "100KB", "--cache-dir", "cache");
        Assert.True(shown.ExitCode == 0, shown.ToString());
        Assert.Contains("rows", shown.Output);
        Assert.Contains("MB/s", shown.Output);
        Assert.Contains("epoch 2", shown.Output);
    }

    [Fact]
    public void ASignalWithoutACheckpointFolderSavesNothingAndSaysSo()
    {
        string big = WriteBig("big.csv");
        using XentProcess.Running r = XentProcess.Start(_dir, null, ["train", "--data", big, .. LongRun, "--out", "m.safetensors", "--json"]);
        Thread.Sleep(1500);   // --json prints nothing while training: give it time to be inside the epochs
        r.Signal("INT");
        XentProcess.Result result = r.Finish();
        Assert.Equal(130, result.ExitCode);
        Assert.Matches(@"^xent train: (interrupted in epoch \d+ of 100000; no model was saved|interrupted; nothing was saved)", result.Error);
        Assert.Equal("", result.Output);
        Assert.Equal(["big.csv " + new FileInfo(big).Length + " " + File.GetLastWriteTimeUtc(big).Ticks], XentProcess.Listing(_dir));
    }

    [Theory]
    [InlineData("INT", 130)]
    [InlineData("TERM", 143)]
    public void ASecondSignalEndsAtOnceWithNothingHalfWrittenAndNoStackTrace(string signal, int exitCode)
    {
        string big = WriteBig("big.csv");
        File.WriteAllText(PathOf("m.safetensors"), "the user's old model");
        using XentProcess.Running r = XentProcess.Start(_dir, null, ["train", "--data", big, .. LongRun, "--out", "m.safetensors", "--force", "--checkpoint-dir", "ckpt", "--checkpoint-every", "1"]);
        r.WaitForOutput("epoch     1/");
        // Back to back, like a double Ctrl-C or `timeout` without --foreground: the second one arrives mid-stop.
        Assert.True(r.Signal(signal));
        bool second = r.Signal(signal);
        XentProcess.Result result = r.Finish();
        if (second) Assert.Matches("^xent(: interrupted; stopped at once, nothing was saved| train: interrupted in epoch)", result.Error);
        Assert.Equal(exitCode, result.ExitCode);
        XentProcess.AssertCleanError(result);
        Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal("the user's old model", File.ReadAllText(PathOf("m.safetensors")));
        // No temporary file, lock or half-written checkpoint is left: the folder holds the data, the old model and at most a whole checkpoint.
        string[] left = XentProcess.Listing(_dir).Select(l => l.Split(' ')[0]).ToArray();
        Assert.All(left, l => Assert.Contains(l, new[] { "big.csv", "m.safetensors", "ckpt/", Path.Combine("ckpt", "checkpoint.safetensors") }));
        if (File.Exists(Path.Combine(PathOf("ckpt"), "checkpoint.safetensors")))
            Xent.Models.SafeTensors.Read(Path.Combine(PathOf("ckpt"), "checkpoint.safetensors"));   // whole and readable
    }

    [Fact]
    public void CtrlCOnATerminalStopsCleanlyAndRestoresTheCursor()
    {
        string big = WriteBig("big.csv");
        using XentProcess.Running r = XentProcess.StartInTerminal(_dir, 90, ["train", "--data", big, .. LongRun, "--checkpoint-dir", "ckpt", "--out", "m.safetensors"]);
        r.WaitForOutput("epoch 1");
        r.Process.StandardInput.Write('\u0003');   // the terminal's interrupt character: the line discipline sends SIGINT
        r.Process.StandardInput.Flush();
        XentProcess.Result result = r.Finish();
        Assert.Equal(130, result.ExitCode);
        Assert.Contains("continue it with: xent train --resume", result.Output);
        int hidden = result.Output.LastIndexOf("\u001b[?25l", StringComparison.Ordinal);
        Assert.True(result.Output.LastIndexOf("\u001b[?25h", StringComparison.Ordinal) > hidden, "the cursor was left hidden");
        XentProcess.AssertCleanError(result with { Error = result.Output });
        Assert.False(File.Exists(PathOf("m.safetensors")));
    }

    [Fact]
    public void TwoRunsWritingOneOutputCannotBothSucceed()
    {
        string big = WriteBig("big.csv");
        using XentProcess.Running first = XentProcess.Start(_dir, null, ["train", "--data", big, .. LongRun, "--out", "same.safetensors"]);
        first.WaitForOutput("epoch     1/");
        XentProcess.Result second = XentProcess.Run(_dir, "train", "--data", big, "--epochs", "1", "--out", "same.safetensors");
        Assert.Equal(2, second.ExitCode);
        Assert.Contains("is being written by another xent run", second.Error);
        XentProcess.AssertCleanError(second);
        // A second writer with --force is refused too, and so is a checkpoint folder in use.
        Assert.Equal(2, XentProcess.Run(_dir, "train", "--data", big, "--epochs", "1", "--out", "same.safetensors", "--force").ExitCode);
        first.Signal("INT");
        Assert.Equal(130, first.Finish().ExitCode);
        Assert.False(File.Exists(PathOf("same.safetensors")));
        Assert.DoesNotContain(Directory.GetFiles(_dir), f => f.EndsWith(".xent-lock", StringComparison.Ordinal));
        // Once the first run has ended, the output is free again.
        Assert.Equal(0, XentProcess.Run(_dir, "train", "--data", big, "--epochs", "1", "--out", "same.safetensors", "--json").ExitCode);
    }

    [Fact]
    public void AResumedRunNeverOverwritesAFileThatAppearedAtItsOutput()
    {
        string big = WriteBig("big.csv", 4000);
        // No improvement ever counts (--min-delta 100), so the run stops after 21 epochs: long enough for the signal to land
        // mid-training, and the resumed runs below train at most 20 epochs instead of the 299 that timed out under load.
        using (XentProcess.Running r = XentProcess.Start(_dir, null, ["train", "--data", big, "--epochs", "300", "--patience", "20", "--min-delta", "100", "--hidden", "128,128", "--out", "m.safetensors", "--checkpoint-dir", "ckpt"]))
        {
            r.WaitForOutput("epoch     1/300");
            r.Signal("INT");
            Assert.Equal(130, r.Finish().ExitCode);
        }
        File.WriteAllText(PathOf("m.safetensors"), "someone else's file");
        XentProcess.Result refused = XentProcess.Run(_dir, "train", "--resume", "ckpt");
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("already exists; pass --force", refused.Error);
        Assert.Equal("someone else's file", File.ReadAllText(PathOf("m.safetensors")));
        XentProcess.Result other = XentProcess.Run(_dir, "train", "--resume", "ckpt", "--out", "other.safetensors", "--json");
        Assert.True(other.ExitCode == 0, other.ToString());
        Assert.Equal("someone else's file", File.ReadAllText(PathOf("m.safetensors")));
        Classifier.Load(PathOf("other.safetensors"));
        XentProcess.Result options = XentProcess.Run(_dir, "train", "--resume", "ckpt", "--learning-rate", "0.5");
        Assert.Equal(2, options.ExitCode);
        Assert.Contains("--learning-rate cannot be given with it", options.Error);
    }
}

[CollectionDefinition(nameof(EndToEndCollection), DisableParallelization = true)]
public sealed class EndToEndCollection
{
}
