namespace Xent.Cli.Tests;

/// <summary>Runs the xent command in-process and captures what it printed.</summary>
public static class CliRunner
{
    public sealed record Result(int ExitCode, string Output, string Error);

    public static Result Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = XentApp.Run(args, CliConsole.Capture(output, error));
        return new Result(code, output.ToString(), error.ToString());
    }

    /// <summary>Asserts the usage-error contract: exit code 2, one line on stderr mentioning <paramref name="mention"/>, no stack trace.</summary>
    public static void AssertOneLineError(Result result, string mention, int exitCode = 2)
    {
        Assert.Equal(exitCode, result.ExitCode);
        string[] lines = result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, $"expected one error line, got {lines.Length}:\n{result.Error}");
        Assert.Contains(mention, lines[0]);
        Assert.DoesNotContain("   at ", result.Error);
        Assert.DoesNotContain("Exception", result.Error);
    }
}
