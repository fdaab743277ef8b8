using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Xent.Explain;

namespace Xent.Cli.Tests;

/// <summary>
/// <c>xent explain --html</c>: the file itself (self-contained, the engine's numbers embedded, safe writes), then the page
/// opened in a real headless Chromium, where what it renders is compared with what Xent's engine computes.
/// </summary>
public sealed class ExplainHtmlTests() : TemporaryFolderTests("xent-explain-html-")
{
    /// <summary>Screenshots go here, beside the test assembly, for a person to look at.</summary>
    private static readonly string ScreenshotDir = Path.Combine(AppContext.BaseDirectory, "explain-html");

    private string Write(params string[] options)
    {
        string page = Path.Combine(Folder, "page.html");
        CliRunner.Result r = CliRunner.Run(["explain", "--html", page, "--force", .. options]);
        Assert.True(r.ExitCode == 0, r.Error);
        return page;
    }

    private static string F(double v) => v.ToString("0.####", CultureInfo.InvariantCulture);

    // ---------------------------------------------------------------------------------------------------------------
    // The file.

    [Fact]
    public void PageIsOneFileThatRefersToNothingOutsideItself()
    {
        string html = File.ReadAllText(Write());
        Assert.StartsWith("<!DOCTYPE html>", html);
        Match csp = Regex.Match(html, "<meta http-equiv=\"Content-Security-Policy\" content=\"([^\"]*)\">");
        Assert.True(csp.Success, "no Content-Security-Policy meta element");
        Assert.StartsWith("default-src 'none'; script-src 'sha256-", csp.Groups[1].Value);
        Assert.DoesNotContain("unsafe", csp.Groups[1].Value);
        // No address of anything anywhere: no scheme, no attribute or CSS that loads, no script API that fetches.
        foreach (string banned in new[] { "://", " src=", "href=", "<link", "<img", "<iframe", "<object", "<embed", "@import", "url(",
                     "fetch(", "XMLHttpRequest", "WebSocket", "EventSource", "sendBeacon", "import(", "<base", "srcset" })
            Assert.False(html.Contains(banned, StringComparison.OrdinalIgnoreCase), $"the page contains '{banned}'");
        // Exactly one executable script and one style, each allowed by its hash in the policy (a browser runs neither
        // when its hash does not match, so this is checked here too, without a browser).
        Assert.Equal(2, Regex.Matches(html, "<script").Count);
        Assert.Single(Regex.Matches(html, "<style"));
        static string Hash(string text) => "'sha256-" + Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(text))) + "'";
        string script = Regex.Match(html, "<script>(.*?)</script>", RegexOptions.Singleline).Groups[1].Value;
        string style = Regex.Match(html, "<style>(.*?)</style>", RegexOptions.Singleline).Groups[1].Value;
        Assert.Contains($"script-src {Hash(script)};", csp.Groups[1].Value);
        Assert.Contains($"style-src {Hash(style)};", csp.Groups[1].Value);
        Assert.Contains("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">", html);
        Assert.Empty(Directory.GetFiles(Folder, "*.tmp", SearchOption.AllDirectories).Concat(Directory.GetFiles(Folder, ".*")));
    }

    [Fact]
    public void PageEmbedsTheEnginesNumbers()
    {
        string html = File.ReadAllText(Write("--parameter", "w6", "--start", "3", "--learning-rate", "0.5"));
        string json = Regex.Match(html, "<script type=\"application/json\" id=\"xent-data\">(.*?)</script>", RegexOptions.Singleline).Groups[1].Value;
        using JsonDocument doc = JsonDocument.Parse(json);
        JsonElement root = doc.RootElement;
        var example = new WorkedExample();
        IReadOnlyList<WorkedExample.SampleForward> forward = example.Forward();
        Assert.Equal("w6", root.GetProperty("parameter").GetString());
        Assert.Equal(forward[0].Probabilities[0], root.GetProperty("forward")[0].GetProperty("probabilities")[0].GetSingle());
        // The command's total is the sum of the three rows' losses, as `xent explain` prints it.
        Assert.Equal(forward.Sum(f => f.CrossEntropy), root.GetProperty("totalCrossEntropy").GetDouble());
        Assert.Equal(example.Derivative("w6"), root.GetProperty("derivative").GetDouble());
        WorkedExample.DescentResult descent = example.Descend("w6", 3, 0.5, 0.001, 1000);
        JsonElement d = root.GetProperty("descent");
        Assert.Equal(descent.Steps.Count, d.GetProperty("stepCount").GetInt32());
        Assert.Equal(descent.Steps[1].Value, d.GetProperty("steps")[1].GetProperty("value").GetDouble());
        Assert.Equal(descent.StopReason, d.GetProperty("stopReason").GetString());
        Assert.Equal(ChainRule.For(example, "w6", 2).Factors.Count, root.GetProperty("chain")[2].GetProperty("factors").GetArrayLength());
    }

    [Fact]
    public void AnExistingFileIsOverwrittenOnlyWithForce()
    {
        string page = Path.Combine(Folder, "page.html");
        File.WriteAllText(page, "mine");
        CliRunner.AssertOneLineError(CliRunner.Run("explain", "--html", page), "--force");
        Assert.Equal("mine", File.ReadAllText(page));
        CliRunner.Result r = CliRunner.Run("explain", "--html", page, "--force");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("Interactive page: ", r.Output);
        Assert.StartsWith("<!DOCTYPE html>", File.ReadAllText(page));
        Assert.Single(Directory.GetFiles(Folder));
    }

    [Fact]
    public void AMissingFolderOrAFolderIsOneLineNamingTheOption()
    {
        CliRunner.AssertOneLineError(CliRunner.Run("explain", "--html", Path.Combine(Folder, "no", "such", "page.html")), "--html");
        CliRunner.AssertOneLineError(CliRunner.Run("explain", "--html", Folder), "--html");
        Assert.Empty(Directory.GetFileSystemEntries(Folder));
    }

    [Fact]
    public void HelpNamesTheHtmlOptions()
    {
        CliRunner.Result r = CliRunner.Run("explain", "--help");
        Assert.Contains("--html", r.Output);
        Assert.Contains("--force", r.Output);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // The page in a browser. Numbers are read by their data-key attributes and compared with the engine's.

    private static string Shown(string dom, string key)
    {
        Match m = Regex.Match(dom, $"data-key=\"{Regex.Escape(key)}\"[^>]*>([^<]*)<");
        Assert.True(m.Success, $"the page shows nothing with data-key=\"{key}\"");
        return WebUtility.HtmlDecode(m.Groups[1].Value);
    }

    // The page rounds to 4 decimals as the CLI does; the engine is float32 and the page double, so allow the rounding.
    private static void AssertShows(string dom, string key, double engine, double tolerance = 6e-5)
    {
        string text = Shown(dom, key);
        Assert.True(double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double shown), $"{key}: '{text}' is not a number");
        Assert.True(Math.Abs(shown - engine) <= tolerance, $"{key}: the page shows {text}, Xent's engine computes {engine.ToString("R", CultureInfo.InvariantCulture)}");
    }

    private static string Attribute(string dom, string element, string name)
    {
        Match tag = Regex.Match(dom, element == "body" ? "<body[^>]*>" : $"<[a-z]+ id=\"{element}\"[^>]*>");
        Assert.True(tag.Success, $"no element {element}");
        Match a = Regex.Match(tag.Value, $"{name}=\"([^\"]*)\"");
        Assert.True(a.Success, $"{element} has no {name}: {tag.Value}");
        return a.Groups[1].Value;
    }

    // The page written with the default options, opened with a query string, after its self-check: its DOM.
    private string OpenChecked(string query)
    {
        Chromium.Page page = Chromium.Open(Write(), query);
        AssertSelfCheckPassedAndNothingWasFetched(page);
        return page.Dom;
    }

    private static void AssertSelfCheckPassedAndNothingWasFetched(Chromium.Page page)
    {
        string dom = page.Dom;
        Assert.Equal("true", Attribute(dom, "body", "data-ready"));
        Assert.True(Attribute(dom, "self-check", "data-ok") == "true",
            "the page's self-check failed: " + Regex.Match(dom, "<p id=\"self-check\"[^>]*>([^<]*)<").Groups[1].Value);
        Assert.Equal("0", Attribute(dom, "self-check", "data-failed"));
        Assert.True(int.Parse(Attribute(dom, "self-check", "data-count"), CultureInfo.InvariantCulture) > 50);
        Assert.Equal("0", Attribute(dom, "body", "data-resources"));
        Assert.Equal("0", Attribute(dom, "body", "data-csp-violations"));
        Assert.True(page.PageRequests.Count == 0, "the page made network requests: " + string.Join(", ", page.PageRequests));
    }

    // Every number of sections 1 and 3 (and section 4's readout) against a WorkedExample with the same parameter values.
    private static void AssertShowsTheEngine(string dom, WorkedExample example, string name)
    {
        IReadOnlyList<WorkedExample.SampleForward> forward = example.Forward();
        for (int i = 0; i < forward.Count; i++)
        {
            string s = $"s{i + 1}";
            for (int k = 0; k < 3; k++)
            {
                AssertShows(dom, $"{s}.p.{WorkedExample.Species[k]}", forward[i].Probabilities[k]);
                AssertShows(dom, $"{s}.raw.{WorkedExample.Species[k]}", forward[i].Raw[k]);
            }
            for (int j = 0; j < 2; j++) AssertShows(dom, $"{s}.hidden.{WorkedExample.HiddenNames[j]}", forward[i].Hidden[j]);
            AssertShows(dom, $"{s}.ce", forward[i].CrossEntropy);
            AssertShows(dom, $"{s}.observedP", forward[i].ObservedProbability);
            ChainRuleSample chain = ChainRule.For(example, name, i);
            for (int n = 0; n < chain.Factors.Count; n++) AssertShows(dom, $"{s}.factor{n}", chain.Factors[n].Value);
            AssertShows(dom, $"{s}.product", chain.Product);
            AssertShows(dom, $"{s}.backprop", chain.Backpropagated);
        }
        double total = example.TotalCrossEntropy();
        double derivative = example.Derivative(name);
        AssertShows(dom, "total.ce", total);
        AssertShows(dom, "total.backprop", derivative);
        AssertShows(dom, "total.numeric", example.NumericDerivative(name), 2e-6);
        AssertShows(dom, "d.loss", total);
        AssertShows(dom, "d.derivative", derivative);
        AssertShows(dom, "d.value", example.Get(name), 1e-4);
    }

    [ChromiumFact]
    public void BrowserShowsTheEnginesNumbersAtTheStartAndFetchesNothing()
    {
        Chromium.Page page = Chromium.Open(Write());
        AssertSelfCheckPassedAndNothingWasFetched(page);
        string dom = page.Dom;
        Assert.Equal("0.5677", Shown(dom, "s1.p.setosa"));
        Assert.Equal("0.5677", Shown(dom, "net.p.setosa"));
        Assert.Equal("1.775", Shown(dom, "total.ce"));
        Assert.Equal("0", Shown(dom, "theta"));
        AssertShowsTheEngine(dom, new WorkedExample(), "b3");
        Assert.Contains("first step -2 → -1.2268", WebUtility.HtmlDecode(dom));
    }

    [ChromiumFact]
    public void StepTakesTheFirstDescentStepOfB3FromMinus2()
    {
        string dom = OpenChecked("b3=-2&steps=1");
        Assert.Equal("-2", Shown(dom, "row0.value"));
        Assert.Equal("-1.2268", Shown(dom, "row0.new"));
        Assert.Equal("Step 1: b3 -2 → -1.2268.", Shown(dom, "status"));
        WorkedExample.DescentResult descent = new WorkedExample().Descend("b3", -2, 1, 0.001, 1000);
        AssertShows(dom, "row0.loss", descent.Steps[0].TotalCrossEntropy);
        AssertShows(dom, "row0.derivative", descent.Steps[0].Derivative);
        // The page is now at the second row's value, and its readout is the engine's second row.
        AssertShows(dom, "d.value", descent.Steps[1].Value);
        AssertShows(dom, "d.loss", descent.Steps[1].TotalCrossEntropy);
        AssertShows(dom, "d.derivative", descent.Steps[1].Derivative);
    }

    [ChromiumFact]
    public void MovingTheSlidersRecomputesEverythingAtTheNewPoint()
    {
        string dom = OpenChecked("b3=-1&p=0.1&sample=2");
        Assert.Equal("-1", Shown(dom, "theta"));
        var example = new WorkedExample();
        example.Set("b3", -1f);
        AssertShowsTheEngine(dom, example, "b3");
        Assert.NotEqual("0.5677", Shown(dom, "s1.p.setosa"));
        // The diagram follows the chosen sample (2: virginica, both hidden nodes switched off by ReLU).
        AssertShows(dom, "net.p.virginica", example.Forward()[1].Probabilities[2]);
        Assert.Equal("0", Shown(dom, "net.upper"));
        // The p slider: −ln p, −1/p, (1 − p)², −2(1 − p) at p = 0.1.
        Assert.Equal("2.3026", Shown(dom, "p.ce"));
        Assert.Equal("-10", Shown(dom, "p.ceSlope"));
        Assert.Equal("0.81", Shown(dom, "p.sr"));
        Assert.Equal("-1.8", Shown(dom, "p.srSlope"));
    }

    [ChromiumFact]
    public void RunStopsWhereTheCliStopsForAHiddenLayerParameter()
    {
        string file = Write("--parameter", "w1", "--start", "0", "--learning-rate", "0.5", "--max-steps", "200");
        Chromium.Page page = Chromium.Open(file, "w1=0&run", virtualMilliseconds: 120_000);
        AssertSelfCheckPassedAndNothingWasFetched(page);
        string dom = page.Dom;
        WorkedExample.DescentResult descent = new WorkedExample().Descend("w1", 0, 0.5, 0.001, 200);
        Assert.Equal($"Final w1 = {F(descent.Final)} after {descent.Steps.Count - 1} steps: {descent.StopReason}.", Shown(dom, "status"));
        int last = descent.Steps.Count - 1;
        AssertShows(dom, $"row{last}.value", descent.Steps[last].Value);
        AssertShows(dom, $"row{last}.loss", descent.Steps[last].TotalCrossEntropy);
        Assert.DoesNotContain($"data-key=\"row{last + 1}.value\"", dom);
        // The chain rule through a hidden node: ReLU′ and the input as factors, named as the CLI names them.
        foreach (ChainFactor factor in ChainRule.For(new WorkedExample(), "w1", 0).Factors)
            Assert.Contains(WebUtility.HtmlEncode(factor.Name), dom);
    }

    [ChromiumFact]
    public void TheNetLogCheckSeesARequestWhenAPageMakesOne()
    {
        // A control for the check above: a page with an image from a (closed) local port must show up as a request.
        string file = Path.Combine(Folder, "fetches.html");
        File.WriteAllText(file, "<!DOCTYPE html><html><body><img src=\"http://127.0.0.1:9/x.png\" alt=\"\"></body></html>");
        Assert.Contains(Chromium.Open(file).PageRequests, r => r.StartsWith("http://127.0.0.1:9/x.png", StringComparison.Ordinal));
    }

    [ChromiumFact]
    public void ScreenshotsOfEachSection()
    {
        string file = Write();
        Directory.CreateDirectory(ScreenshotDir);
        var shots = new List<(string Name, string Fragment, int Width, int Height)>
        {
            ("page-top", "", 1000, 1300),
            ("section-1-network", "only=1&sample=1", 1000, 1300),
            ("section-2-cross-entropy-vs-squared-residual", "only=2&p=0.2", 1000, 1250),
            ("section-3-chain-rule", "only=3", 1000, 1500),
            ("section-4-gradient-descent", "only=4&b3=-2&steps=4", 1000, 1400),
            ("phone", "", 390, 1600),
        };
        foreach ((string name, string fragment, int width, int height) in shots)
        {
            string png = Path.Combine(ScreenshotDir, name + ".png");
            File.Delete(png);
            Chromium.Screenshot(file, fragment, png, width, height);
            byte[] bytes = File.ReadAllBytes(png);
            Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], bytes[..4]);
            // A blank page compresses to a few kilobytes; a drawn section is far larger.
            Assert.True(bytes.Length > 30_000, $"{png} is only {bytes.Length} bytes: is the section empty?");
        }
    }
}
