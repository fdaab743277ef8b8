using System.Text.Json;

namespace Xent.Cli.Tests;

public class TrainCommandTests
{
    [Fact]
    public void DefaultsTrainIrisToAtLeast93PercentValidationAccuracy()
    {
        CliRunner.Result result = CliRunner.Run("train", "--json");
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("", result.Error);
        using JsonDocument json = JsonDocument.Parse(result.Output);
        JsonElement root = json.RootElement;
        foreach (string key in new[] { "epochs", "stopReason", "trainLoss", "trainAccuracy", "validationLoss", "validationAccuracy", "lossHistory" })
            Assert.True(root.TryGetProperty(key, out _), $"missing key {key}");
        Assert.True(root.GetProperty("validationAccuracy").GetDouble() >= 0.93, result.Output);
        Assert.Equal(root.GetProperty("epochs").GetInt32(), root.GetProperty("lossHistory").GetArrayLength());
    }

    [Fact]
    public void SameSeedPrintsIdenticalJson()
    {
        CliRunner.Result a = CliRunner.Run("train", "--json", "--seed", "7", "--epochs", "60");
        CliRunner.Result b = CliRunner.Run("train", "--json", "--seed", "7", "--epochs", "60");
        Assert.Equal(0, a.ExitCode);
        Assert.Equal(a.Output, b.Output);
        CliRunner.Result c = CliRunner.Run("train", "--json", "--seed", "8", "--epochs", "60");
        Assert.NotEqual(a.Output, c.Output);
    }

    [Fact]
    public void HumanOutputEndsWithASummary()
    {
        CliRunner.Result result = CliRunner.Run("train", "--hidden", "8,4", "--activation", "tanh", "--epochs", "40");
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("Dense(4 => 8, Tanh) → Dense(8 => 4, Tanh) → Dense(4 => 3)", result.Output);
        Assert.Contains("Stopped after", result.Output);
        Assert.Contains("validation", result.Output);
        Assert.Contains("epoch ", result.Output); // plain progress lines when not interactive
    }

    [Theory]
    [InlineData("--hidden", "abc", "--hidden")]
    [InlineData("--hidden", "16,0", "--hidden")]
    [InlineData("--epochs", "-1", "--epochs")]
    [InlineData("--epochs=-1", null, "--epochs")]
    [InlineData("--learning-rate", "0", "--learning-rate")]
    [InlineData("--learning-rate", "abc", "--learning-rate")]
    [InlineData("--batch-size", "-3", "--batch-size")]
    [InlineData("--activation", "swish", "--activation")]
    [InlineData("--no-such-option", null, "--no-such-option")]
    public void BadOptionsGiveOneLineNamingTheOptionAndExitCode2(string option, string? value, string mention)
    {
        string[] args = value is null ? ["train", option] : ["train", option, value];
        CliRunner.AssertOneLineError(CliRunner.Run(args), mention);
    }
}

public sealed class TrainPlotAndOptionTests() : TemporaryFolderTests("xent-train-")
{
    [Fact]
    public void PlotWritesCurvesAndTheConfusionMatrix()
    {
        CliRunner.Result r = CliRunner.Run("train", "--epochs", "30", "--plot", Folder);
        Assert.Equal(0, r.ExitCode);
        foreach (string name in new[] { "loss", "accuracy", "confusion-matrix" })
        {
            Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], File.ReadAllBytes(Path.Combine(Folder, name + ".png"))[..4]);
            Assert.Contains("<svg", File.ReadAllText(Path.Combine(Folder, name + ".svg")));
        }
    }

    [Theory]
    [InlineData("--optimizer", "sgd", "--nesterov", "--schedule", "cosine")]
    [InlineData("--optimizer", "adamw", "--schedule", "step", "--clip-norm", "1")]
    [InlineData("--optimizer", "adam", "--schedule", "plateau", "--monitor", "accuracy")]
    [InlineData("--class-weights", "balanced", "--label-smoothing", "0.1", "--no-early-stopping")]
    [InlineData("--class-weights", "1,2,1", "--batch-size", "0", "--validation", "0")]
    public void EveryTrainingOptionRunsAndLearns(params string[] options)
    {
        CliRunner.Result r = CliRunner.Run(["train", "--json", "--epochs", "150", .. options]);
        Assert.True(r.ExitCode == 0, r.Error);
        using var doc = System.Text.Json.JsonDocument.Parse(r.Output);
        Assert.True(doc.RootElement.GetProperty("trainAccuracy").GetDouble() > 0.85, r.Output);
    }
}

public class RootCommandTests
{
    [Fact]
    public void BareXentShowsTheCommands()
    {
        CliRunner.Result r = CliRunner.Run();
        Assert.Equal(0, r.ExitCode);
        foreach (string command in new[] { "train", "loss", "explain", "evaluate", "predict", "export-onnx" }) Assert.Contains(command, r.Output);
    }

    [Fact]
    public void AnUnknownCommandIsOneLineAndExitCode2() => CliRunner.AssertOneLineError(CliRunner.Run("trian"), "'trian'");
}
