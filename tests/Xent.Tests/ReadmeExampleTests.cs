using System.Diagnostics;

namespace Xent.Tests;

/// <summary>The README's library example is a program that is built and run here, so it cannot drift from the API.</summary>
public class ReadmeExampleTests
{
    internal static string RepositoryFile(string relative)
    {
        for (string? dir = AppContext.BaseDirectory; dir is not null; dir = Path.GetDirectoryName(dir))
            if (File.Exists(Path.Combine(dir, "Xent.slnx"))) return Path.Combine(dir, relative);
        throw new FileNotFoundException("the repository root (Xent.slnx) is not above the test folder");
    }

    [Fact]
    public void TheReadmeShowsTheSampleProgramWordForWord()
    {
        string readme = File.ReadAllText(RepositoryFile("README.md")).ReplaceLineEndings("\n");
        string program = File.ReadAllText(RepositoryFile(Path.Combine("samples", "ReadmeExample", "Program.cs"))).ReplaceLineEndings("\n");
        Assert.Contains("```csharp\n" + program + "```\n", readme);
    }

    [Fact]
    public void TheSampleProgramRunsAndPrintsWhatItsCommentsSay()
    {
        string dir = Directory.CreateTempSubdirectory("xent-readme-").FullName;
        try
        {
            var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet")
            {
                WorkingDirectory = dir,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "ReadmeExample.dll"));
            using Process run = Process.Start(start)!;
            string output = run.StandardOutput.ReadToEnd();
            string error = run.StandardError.ReadToEnd();
            Assert.True(run.WaitForExit(60_000), "the example did not finish within a minute");
            Assert.True(run.ExitCode == 0, error);
            string[] lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal("Dense(4 => 32, Relu) → Dense(32 => 3)  [259 parameters]", lines[0]);
            Assert.StartsWith("setosa ", lines[1]);
            foreach (string file in new[] { "flowers.csv", "flowers.safetensors", "flowers.onnx" })
                Assert.True(File.Exists(Path.Combine(dir, file)), file);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
