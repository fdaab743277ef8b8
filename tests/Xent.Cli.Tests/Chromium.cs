using System.Diagnostics;
using System.Text.Json;

namespace Xent.Cli.Tests;

/// <summary>
/// Runs a real headless Chromium (Debian's <c>chromium</c> package) on a local file: the DOM after the page's script ran
/// (with a virtual time budget, so timers and animations finish without waiting), a screenshot, and the browser's net log.
/// </summary>
public static class Chromium
{
    /// <summary>The browser's path: <c>XENT_CHROMIUM</c> if set, else the first of the usual names on PATH; null if none.</summary>
    public static readonly string? Executable = Find();

    /// <summary>True when the CI environment variable says so: there the browser tests must run, never skip.</summary>
    public static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    public const string Missing = "headless Chromium is needed for the --html page tests and was not found on PATH " +
        "(install Debian's package: apt-get update && apt-get install -y chromium; .ci/run does this; or set XENT_CHROMIUM)";

    private static string? Find()
    {
        if (Environment.GetEnvironmentVariable("XENT_CHROMIUM") is { Length: > 0 } given) return File.Exists(given) ? given : null;
        string[] folders = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
        foreach (string name in new[] { "chromium", "chromium-browser", "google-chrome", "google-chrome-stable" })
            foreach (string folder in folders)
                if (File.Exists(Path.Combine(folder, name))) return Path.Combine(folder, name);
        return null;
    }

    /// <summary>Fails the calling test with a clear message when the browser is absent (the attribute only lets that happen on CI).</summary>
    public static string Require() => Executable ?? throw new Xunit.Sdk.XunitException(Missing);

    public sealed record Page(string Dom, IReadOnlyList<string> PageRequests);

    /// <summary>
    /// Opens <paramref name="file"/> (with <paramref name="fragment"/> after '#') and returns the serialised DOM once the
    /// virtual time budget has run out, and every network request the page itself started according to Chromium's net
    /// log (the browser's own background requests are marked "not an origin" there and are left out).
    /// </summary>
    public static Page Open(string file, string fragment = "", int virtualMilliseconds = 5000)
    {
        string work = Directory.CreateTempSubdirectory("xent-chromium-").FullName;
        try
        {
            string netLog = Path.Combine(work, "net-log.json");
            string dom = Run(work, [$"--log-net-log={netLog}", $"--virtual-time-budget={virtualMilliseconds}", "--dump-dom", Url(file, fragment)]);
            return new Page(dom, PageRequests(netLog));
        }
        finally { Directory.Delete(work, recursive: true); }
    }

    /// <summary>Writes a PNG of the page's first <paramref name="width"/> × <paramref name="height"/> CSS pixels.</summary>
    public static void Screenshot(string file, string fragment, string png, int width, int height, int virtualMilliseconds = 5000)
    {
        string work = Directory.CreateTempSubdirectory("xent-chromium-").FullName;
        try
        {
            Run(work, [$"--window-size={width},{height}", "--hide-scrollbars", $"--virtual-time-budget={virtualMilliseconds}", $"--screenshot={png}", Url(file, fragment)]);
        }
        finally { Directory.Delete(work, recursive: true); }
    }

    private static string Url(string file, string fragment) =>
        new Uri(Path.GetFullPath(file)).AbsoluteUri + (fragment.Length > 0 ? "#" + fragment : "");

    private static string Run(string work, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(Require()) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        // A fresh profile per run, no sandbox (tests may run as root in a container), and none of the browser's own extras.
        foreach (string a in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-default-browser-check", "--disable-extensions",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync", $"--user-data-dir={Path.Combine(work, "profile")}" })
            start.ArgumentList.Add(a);
        foreach (string a in arguments) start.ArgumentList.Add(a);
        using Process process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {start.FileName}");
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(120)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{start.FileName} did not finish within 120 s");
        }
        if (process.ExitCode != 0) throw new InvalidOperationException($"{start.FileName} exited with {process.ExitCode}: {error.Result}");
        return output.Result;
    }

    private static List<string> PageRequests(string netLog)
    {
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(netLog));
        int startJob = doc.RootElement.GetProperty("constants").GetProperty("logEventTypes").GetProperty("URL_REQUEST_START_JOB").GetInt32();
        var requests = new List<string>();
        foreach (JsonElement e in doc.RootElement.GetProperty("events").EnumerateArray())
        {
            if (e.GetProperty("type").GetInt32() != startJob || !e.TryGetProperty("params", out JsonElement p) || !p.TryGetProperty("url", out JsonElement url)) continue;
            string initiator = p.TryGetProperty("initiator", out JsonElement i) ? i.GetString() ?? "" : "";
            if (initiator != "not an origin") requests.Add($"{url.GetString()} (initiator {initiator})");
        }
        return requests;
    }
}

/// <summary>
/// A test that needs Chromium: skipped with the reason when the browser is absent on a developer's machine, but run (and
/// failed by <see cref="Chromium.Require"/>) when CI=true, so CI can never pass without having opened the page.
/// </summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    public ChromiumFactAttribute()
    {
        if (Chromium.Executable is null && !Chromium.IsCi) Skip = Chromium.Missing + "; set CI=true to make this a failure";
    }
}
