using System.Diagnostics;
using System.Text;

namespace Xent.Cli.Tests.EndToEnd;

/// <summary>
/// Runs the built <c>xent</c> the way users do: as its own process (<c>dotnet xent.dll</c>, the assembly the build put
/// beside these tests), with output redirected to pipes, or on a pseudo-terminal through <c>script(1)</c>, and sends it
/// real signals with <c>kill(1)</c>. Every wait is bounded, so a hang fails the test instead of stalling CI.
/// </summary>
public static partial class XentProcess
{
    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    public static readonly TimeSpan Limit = TimeSpan.FromSeconds(120);

    public static string Dll => Path.Combine(AppContext.BaseDirectory, "xent.dll");

    private static string Dotnet => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";

    public sealed record Result(int ExitCode, string Output, string Error)
    {
        public override string ToString() => $"exit {ExitCode}\nstdout:\n{Output}\nstderr:\n{Error}";
    }

    /// <summary>A running xent whose output is collected as it comes.</summary>
    public sealed class Running : IDisposable
    {
        private readonly StringBuilder _out = new(), _err = new();
        public Process Process { get; }

        internal Running(ProcessStartInfo start)
        {
            Process = new Process { StartInfo = start };
            Process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_out) _out.Append(e.Data).Append('\n'); };
            Process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_err) _err.Append(e.Data).Append('\n'); };
            Process.Start();
            Process.BeginOutputReadLine();
            Process.BeginErrorReadLine();
        }

        public string Output { get { lock (_out) return _out.ToString(); } }
        public string Error { get { lock (_err) return _err.ToString(); } }

        /// <summary>Waits until the output contains <paramref name="text"/> (e.g. the first epoch line): training has begun.</summary>
        public void WaitForOutput(string text)
        {
            var clock = Stopwatch.StartNew();
            while (!Output.Contains(text, StringComparison.Ordinal))
            {
                if (Process.HasExited)
                {
                    Result ended = Finish();   // drains the readers: the text may have arrived with the exit
                    if (ended.Output.Contains(text, StringComparison.Ordinal)) return;
                    throw new Xunit.Sdk.XunitException($"xent ended before printing '{text}':\n{ended}");
                }
                if (clock.Elapsed > Limit) throw new Xunit.Sdk.XunitException($"xent printed no '{text}' within {Limit}:\n{Output}\n{Error}");
                Thread.Sleep(10);
            }
        }

        /// <summary>Sends a signal with kill(2); false when the process had already ended (ESRCH).</summary>
        public bool Signal(string name)
        {
            int number = name switch { "INT" => 2, "TERM" => 15, "HUP" => 1, _ => throw new ArgumentException($"unknown signal {name}", nameof(name)) };
            if (Kill(Process.Id, number) == 0) return true;
            int errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
            if (errno == 3) return false;
            throw new Xunit.Sdk.XunitException($"kill({Process.Id}, SIG{name}) failed: errno {errno}");
        }

        public Result Finish()
        {
            if (!Process.WaitForExit(Limit))
            {
                Process.Kill(entireProcessTree: true);
                throw new Xunit.Sdk.XunitException($"xent did not end within {Limit}:\n{Output}\n{Error}");
            }
            Process.WaitForExit();   // drains the asynchronous readers
            return new Result(Process.ExitCode, Output, Error);
        }

        public void Dispose()
        {
            if (!Process.HasExited) Process.Kill(entireProcessTree: true);
            Process.Dispose();
        }
    }

    public static Running Start(string workingDirectory, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var start = new ProcessStartInfo(Dotnet)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Dll);
        foreach (string a in args) start.ArgumentList.Add(a);
        start.Environment.Remove("COLUMNS");
        if (environment is not null) foreach ((string k, string v) in environment) start.Environment[k] = v;
        return new Running(start);
    }

    /// <summary>Runs xent to the end with output redirected to pipes.</summary>
    public static Result Run(string workingDirectory, params string[] args) => Run(workingDirectory, null, args);

    public static Result Run(string workingDirectory, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        using Running running = Start(workingDirectory, environment, args);
        running.Process.StandardInput.Close();
        return running.Finish();
    }

    /// <summary>
    /// Starts xent on a pseudo-terminal (<c>script -qfec</c>): stdout and stderr both go to the terminal, which script
    /// copies to its own output. Writing "\u0003" to <see cref="Running.Process"/>'s input types a real Ctrl-C, which the
    /// terminal turns into SIGINT for xent.
    /// </summary>
    public static Running StartInTerminal(string workingDirectory, int columns, params string[] args)
    {
        string command = $"stty cols {columns} rows 40; exec {Quote(Dotnet)} {Quote(Dll)} {string.Join(" ", args.Select(Quote))}";
        var start = new ProcessStartInfo("script")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string a in new[] { "-qfec", command, "/dev/null" }) start.ArgumentList.Add(a);
        start.Environment.Remove("COLUMNS");
        start.Environment["TERM"] = "xterm-256color";
        return new Running(start);
    }

    public static Result RunInTerminal(string workingDirectory, int columns, params string[] args)
    {
        using Running running = StartInTerminal(workingDirectory, columns, args);
        return running.Finish();
    }

    private static string Quote(string s) => "'" + s.Replace("'", "'\\''") + "'";

    /// <summary>Every file and folder under <paramref name="directory"/> with its size, to show that nothing was written.</summary>
    public static string[] Listing(string directory) =>
        Directory.EnumerateFileSystemEntries(directory, "*", SearchOption.AllDirectories)
            .Select(p => Path.GetRelativePath(directory, p) + (File.Exists(p) ? $" {new FileInfo(p).Length} {File.GetLastWriteTimeUtc(p).Ticks}" : "/"))
            .Order(StringComparer.Ordinal).ToArray();

    /// <summary>The one-line error contract: no stack trace, no internal error, one line.</summary>
    public static void AssertCleanError(Result r)
    {
        Assert.DoesNotContain("   at ", r.Error);
        Assert.DoesNotContain("   at ", r.Output);
        Assert.DoesNotContain("internal error", r.Error);
        Assert.DoesNotContain("Exception", r.Error);
        Assert.DoesNotContain("Unhandled", r.Error);
    }
}
