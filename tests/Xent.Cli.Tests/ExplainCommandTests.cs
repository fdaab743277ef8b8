using System.Text.Json;

namespace Xent.Cli.Tests;

public sealed class ExplainCommandTests() : TemporaryFolderTests("xent-explain-")
{
    [Fact]
    public void DefaultsShowTheWalkthroughsNumbers()
    {
        CliRunner.Result r = CliRunner.Run("explain");
        Assert.Equal(0, r.ExitCode);
        string[] shown =
        [
            "Observed classes' probabilities: 0.57, 0.58, 0.52", "1. Forward pass", "2. Cross entropy against the squared residual",
            "3. The chain rule for b3", "closed form p(setosa) − 1", "4. Gradient descent on b3", "-1.2268", "Final b3 = -0.0332", "w10 = 3.7",
        ];
        foreach (string text in shown) Assert.Contains(text, r.Output);
    }

    [Fact]
    public void JsonHasEveryKeyAndAgreesWithItself()
    {
        CliRunner.Result r = CliRunner.Run("explain", "--parameter", "w1", "--start", "0", "--learning-rate", "0.5", "--json");
        Assert.Equal(0, r.ExitCode);
        using JsonDocument doc = JsonDocument.Parse(r.Output);
        JsonElement root = doc.RootElement;
        Assert.Equal("w1", root.GetProperty("parameter").GetString());
        JsonElement samples = root.GetProperty("samples");
        Assert.Equal(3, samples.GetArrayLength());
        foreach (string key in new[] { "petalWidth", "sepalWidth", "species", "hidden", "raw", "probabilities", "crossEntropy", "squaredResidual", "derivative" })
            Assert.True(samples[0].TryGetProperty(key, out _), key);
        Assert.Equal(0.57, Math.Round(samples[0].GetProperty("probabilities").GetProperty("setosa").GetDouble(), 2));
        double sumOfSamples = samples.EnumerateArray().Sum(s => s.GetProperty("derivative").GetDouble());
        Assert.Equal(root.GetProperty("derivative").GetDouble(), sumOfSamples, 5);
        Assert.Equal(root.GetProperty("numericDerivative").GetDouble(), root.GetProperty("derivative").GetDouble(), 5);
        JsonElement descent = root.GetProperty("descent");
        Assert.Equal(0.0, descent.GetProperty("steps")[0].GetProperty("value").GetDouble());
        Assert.Equal(0.5, descent.GetProperty("learningRate").GetDouble());
        JsonElement s0 = descent.GetProperty("steps")[0], s1 = descent.GetProperty("steps")[1];
        Assert.Equal(s0.GetProperty("value").GetDouble() - s0.GetProperty("stepSize").GetDouble(), s1.GetProperty("value").GetDouble(), 6);
        Assert.False(string.IsNullOrEmpty(descent.GetProperty("stopReason").GetString()));
    }

    [Fact]
    public void PlotsAreWrittenAsPngAndSvg()
    {
        CliRunner.Result r = CliRunner.Run("explain", "--parameter", "w6", "--plot", Folder);
        Assert.Equal(0, r.ExitCode);
        foreach (string name in new[] { "cross-entropy-vs-w6", "cross-entropy-vs-squared-residual" })
        {
            byte[] png = File.ReadAllBytes(Path.Combine(Folder, name + ".png"));
            Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], png[..4]);
            Assert.True(png.Length > 10_000, $"{name}.png is only {png.Length} bytes");
            string svg = File.ReadAllText(Path.Combine(Folder, name + ".svg"));
            Assert.Contains("<svg", svg);
        }
        Assert.Empty(Directory.GetFiles(Folder, "*.tmp"));
    }

    [Theory]
    [InlineData("--parameter", "w11", "--parameter must be one of")]
    [InlineData("--learning-rate", "0", "--learning-rate must be a positive number")]
    [InlineData("--tolerance", "-1", "--tolerance must be a positive number")]
    [InlineData("--max-steps", "0", "--max-steps must be a positive whole number")]
    [InlineData("--start", "abc", "--start")]
    public void BadOptionsGiveOneLineAndExitCode2(string option, string value, string message) =>
        CliRunner.AssertOneLineError(CliRunner.Run("explain", option, value), message);

    [Fact]
    public void HelpTeachesEveryOption()
    {
        CliRunner.Result r = CliRunner.Run("explain", "--help");
        Assert.Equal(0, r.ExitCode);
        foreach (string option in new[] { "--parameter", "--start", "--learning-rate", "--tolerance", "--max-steps", "--plot", "--json" })
            Assert.Contains(option, r.Output);
        Assert.Contains("step size = derivative × learning rate", r.Output);
    }
}
