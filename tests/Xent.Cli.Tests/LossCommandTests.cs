using System.Text.Json;

namespace Xent.Cli.Tests;

public class LossCommandTests
{
    [Fact]
    public void TheWorkedExamplesFirstRow()
    {
        CliRunner.Result r = CliRunner.Run("loss", "--logits", "1.04,0,0.14", "--targets", "0");
        Assert.Equal(0, r.ExitCode);
        // p = 0.5682 (0.57 to two places); −ln p = 0.5653, and the walkthrough's −ln 0.57 = 0.56.
        Assert.Contains("0.5682", r.Output);
        Assert.Contains("p rounded to 0.57", r.Output);
        Assert.Contains("−ln 0.57 = 0.56", r.Output);
        Assert.Contains("−ln 0.5682 = 0.5653", r.Output);
        Assert.Contains("p − 1 = -0.4318", r.Output);
    }

    [Fact]
    public void JsonHasLossProbabilitiesAndTheGradientOfTheReducedLoss()
    {
        CliRunner.Result r = CliRunner.Run("loss", "--logits", "1.04,0,0.14;0.2,0.5,-1", "--targets", "0;2", "--json");
        Assert.Equal(0, r.ExitCode);
        using JsonDocument doc = JsonDocument.Parse(r.Output);
        double loss = doc.RootElement.GetProperty("loss").GetDouble();
        double row1 = -Math.Log(Math.Exp(1.04) / (Math.Exp(1.04) + 1 + Math.Exp(0.14)));
        double row2 = -Math.Log(Math.Exp(-1) / (Math.Exp(0.2) + Math.Exp(0.5) + Math.Exp(-1)));
        Assert.Equal((row1 + row2) / 2, loss, 5);
        JsonElement g = doc.RootElement.GetProperty("gradient");
        double p0 = doc.RootElement.GetProperty("probabilities")[0][0].GetDouble();
        Assert.Equal((p0 - 1) / 2, g[0][0].GetDouble(), 6); // mean over two rows
    }

    [Fact]
    public void NoneReductionGivesAnArrayAndTheGradientOfTheSum()
    {
        CliRunner.Result r = CliRunner.Run("loss", "--logits", "1,2;3,-4", "--targets", "0;1", "--reduction", "none", "--json");
        using JsonDocument doc = JsonDocument.Parse(r.Output);
        Assert.Equal(2, doc.RootElement.GetProperty("loss").GetArrayLength());
        double p = doc.RootElement.GetProperty("probabilities")[0][0].GetDouble();
        Assert.Equal(p - 1, doc.RootElement.GetProperty("gradient")[0][0].GetDouble(), 6);
    }

    [Theory]
    [InlineData("--logits", "-1,2")]
    [InlineData("--logits=-1,2", null)]
    public void ValuesBeginningWithMinusWorkInBothForms(string first, string? second)
    {
        string[] args = second is null ? ["loss", first, "--targets", "1", "--json"] : ["loss", first, second, "--targets", "1", "--json"];
        CliRunner.Result r = CliRunner.Run(args);
        Assert.Equal(0, r.ExitCode);
        using JsonDocument doc = JsonDocument.Parse(r.Output);
        Assert.Equal(Math.Log(1 + Math.Exp(-3)), doc.RootElement.GetProperty("loss").GetDouble(), 6);
    }

    [Fact]
    public void ClassNamesSoftTargetsAndEveryOptionTogether()
    {
        CliRunner.Result named = CliRunner.Run("loss", "--logits", "1.04,0,0.14;0.2,0.5,-1", "--targets", "setosa;virginica",
            "--classes", "setosa,versicolor,virginica", "--weights", "0.5,2,1", "--label-smoothing", "0.1", "--ignore-index", "1", "--json");
        CliRunner.Result indexed = CliRunner.Run("loss", "--logits", "1.04,0,0.14;0.2,0.5,-1", "--targets", "0;2",
            "--weights", "0.5,2,1", "--label-smoothing", "0.1", "--ignore-index", "1", "--json");
        Assert.Equal(0, named.ExitCode);
        Assert.Equal(indexed.Output, named.Output);
        CliRunner.Result soft = CliRunner.Run("loss", "--logits", "1,2,3", "--probabilities", "0.2,0.3,0.5", "--reduction", "sum");
        Assert.Equal(0, soft.ExitCode);
        Assert.Contains("target probabilities 0.2, 0.3, 0.5", soft.Output);
    }

    [Theory]
    [InlineData("--logits|1,2;3|--targets|0;0", "--logits: row 2 has 1 values")]
    [InlineData("--logits|1,abc|--targets|0", "'abc' in row 1 is not a number")]
    [InlineData("--logits|1,2|--targets|2", "outside [0, 2)")]
    [InlineData("--logits|1,2|--targets|0|--weights|1,2,3", "--weights has 3 values")]
    [InlineData("--logits|1,2|--targets|0|--label-smoothing|1.5", "--label-smoothing must be in [0, 1]")]
    [InlineData("--logits|1,2|--targets|0|--label-smoothing|-0.1", "--label-smoothing must be in [0, 1]")]
    [InlineData("--logits|1,2|--targets|0|--reduction|avg", "--reduction")]
    [InlineData("--logits|1,2", "give exactly one of --targets")]
    [InlineData("--logits|1,2;3,4|--targets|0", "has 1 targets but --logits has 2 rows")]
    [InlineData("--logits|1,2|--targets|cat|--classes|dog,bird", "neither a class index nor one of dog, bird")]
    [InlineData("--targets|0", "--logits")]
    public void BadInputGivesOneLineAndExitCode2(string args, string mention)
    {
        CliRunner.AssertOneLineError(CliRunner.Run(["loss", .. args.Split('|')]), mention);
    }
}
