using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Xent.Explain;

namespace Xent.Cli.Html;

/// <summary>
/// The page of <c>xent explain --html</c>: one self-contained HTML file (markup, style and script inline, charts as SVG
/// drawn by the script) with Xent's numbers for the walkthrough embedded as JSON. The script recomputes everything in
/// double precision as the learner moves the sliders, and on load checks that it reproduces the embedded numbers.
/// A Content-Security-Policy of <c>default-src 'none'</c>, allowing only the page's own script and style by their
/// SHA-256 hashes, makes the browser refuse any network request the page might try.
/// </summary>
/// <remarks>
/// The template, style and script are embedded resources (<c>ExplainPage.html</c>, <c>.css</c>, <c>.js</c> beside this
/// file) so that each can be read and edited as what it is.
/// </remarks>
internal static class ExplainPage
{
    /// <summary>At most this many descent rows are embedded; the script recomputes any further ones itself.</summary>
    public const int MaxEmbeddedSteps = 2000;

    /// <summary>How many points of the engine's curve of total cross entropy against the parameter are embedded for the self-check.</summary>
    public const int CurvePoints = 41;

    /// <summary>Everything the page shows, computed by the engine at the walkthrough's values.</summary>
    public sealed record Input(
        WorkedExample Example,
        string Parameter,
        IReadOnlyList<WorkedExample.SampleForward> Forward,
        double TotalCrossEntropy,
        double Derivative,
        double NumericDerivative,
        IReadOnlyList<ChainRuleSample> Chains,
        WorkedExample.DescentResult Descent,
        double Tolerance,
        int MaxSteps);

    public static string Render(Input input)
    {
        string style = Resource("ExplainPage.css");
        string script = Resource("ExplainPage.js");
        string csp = $"default-src 'none'; script-src '{Sha256(script)}'; style-src '{Sha256(style)}'; base-uri 'none'; form-action 'none'";
        string command = $"xent explain --parameter {input.Parameter} --start {Invariant(input.Descent.Start)} --learning-rate {Invariant(input.Descent.LearningRate)} " +
            $"--tolerance {Invariant(input.Tolerance)} --max-steps {input.MaxSteps}";
        return Resource("ExplainPage.html")
            .Replace("{{CSP}}", csp, StringComparison.Ordinal)
            .Replace("{{PARAMETER}}", input.Parameter, StringComparison.Ordinal)
            .Replace("{{COMMAND}}", command, StringComparison.Ordinal)
            .Replace("{{VERSION}}", Version, StringComparison.Ordinal)
            .Replace("{{STYLE}}", style, StringComparison.Ordinal)
            .Replace("{{DATA}}", Data(input), StringComparison.Ordinal)
            // Last, so that nothing in the script can be mistaken for a placeholder.
            .Replace("{{SCRIPT}}", script, StringComparison.Ordinal);
    }

    private static string Version =>
        typeof(WorkedExample).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "";

    private static string Invariant(double v) => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture);

    private static string Sha256(string text) => "sha256-" + Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    private static string Resource(string name)
    {
        using Stream stream = typeof(ExplainPage).Assembly.GetManifestResourceStream($"Xent.Cli.Html.{name}")
            ?? throw new InvalidOperationException($"the embedded resource {name} is missing");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        // One line ending everywhere, so the hashes in the policy do not depend on how the file was checked out.
        return reader.ReadToEnd().ReplaceLineEndings("\n");
    }

    // The JSON blob inside <script type="application/json">. The default encoder escapes <, >, & and every non-ASCII
    // character, so no value can close the script element early.
    private static string Data(Input input)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Encoder = JavaScriptEncoder.Default }))
        {
            WorkedExample example = input.Example;
            w.WriteStartObject();
            w.WriteString("parameter", input.Parameter);
            w.WriteString("version", Version);
            w.WriteStartArray("parameters");
            // Floats are written as floats (0.04, not 0.0399999991), and the script rounds them back with Math.fround.
            foreach ((string name, _) in WorkedExample.Defaults)
            {
                w.WriteStartObject();
                w.WriteString("name", name);
                w.WriteNumber("value", example.Get(name));
                w.WriteEndObject();
            }
            w.WriteEndArray();
            Strings(w, "species", WorkedExample.Species);
            Strings(w, "hiddenNames", WorkedExample.HiddenNames);
            w.WriteStartArray("samples");
            foreach (ExampleSample s in WorkedExample.Samples)
            {
                w.WriteStartObject();
                w.WriteNumber("petalWidth", s.PetalWidth);
                w.WriteNumber("sepalWidth", s.SepalWidth);
                w.WriteNumber("species", s.Species);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            Number(w, "start", input.Descent.Start);
            Number(w, "learningRate", input.Descent.LearningRate);
            Number(w, "tolerance", input.Tolerance);
            w.WriteNumber("maxSteps", input.MaxSteps);

            w.WriteStartArray("forward");
            foreach (WorkedExample.SampleForward f in input.Forward)
            {
                w.WriteStartObject();
                Floats(w, "preActivation", f.PreActivation);
                Floats(w, "hidden", f.Hidden);
                Floats(w, "raw", f.Raw);
                Floats(w, "probabilities", f.Probabilities);
                Number(w, "crossEntropy", f.CrossEntropy);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            Number(w, "totalCrossEntropy", input.TotalCrossEntropy);
            Number(w, "derivative", input.Derivative);
            Number(w, "numericDerivative", input.NumericDerivative);

            w.WriteStartArray("chain");
            foreach (ChainRuleSample c in input.Chains)
            {
                w.WriteStartObject();
                w.WriteString("formula", c.Formula);
                w.WriteStartArray("factors");
                foreach (ChainFactor factor in c.Factors)
                {
                    w.WriteStartObject();
                    w.WriteString("name", factor.Name);
                    Number(w, "value", factor.Value);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                Number(w, "product", c.Product);
                Number(w, "backpropagated", c.Backpropagated);
                if (c.ClosedForm is { } closed)
                {
                    Number(w, "closedForm", closed);
                    w.WriteString("closedFormText", c.ClosedFormText);
                }
                w.WriteEndObject();
            }
            w.WriteEndArray();

            WorkedExample.DescentResult d = input.Descent;
            w.WriteStartObject("descent");
            w.WriteNumber("stepCount", d.Steps.Count);
            w.WriteBoolean("truncated", d.Steps.Count > MaxEmbeddedSteps);
            w.WriteStartArray("steps");
            foreach (WorkedExample.DescentStep s in d.Steps.Take(MaxEmbeddedSteps))
            {
                w.WriteStartObject();
                Number(w, "value", s.Value);
                Number(w, "totalCrossEntropy", s.TotalCrossEntropy);
                Number(w, "derivative", s.Derivative);
                Number(w, "stepSize", s.StepSize);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            Number(w, "final", d.Final);
            w.WriteString("stopReason", d.StopReason);
            w.WriteBoolean("converged", d.Converged);
            w.WriteEndObject();

            (double low, double high) = Range(example, input.Parameter, d);
            w.WriteStartArray("range"); w.WriteNumberValue(low); w.WriteNumberValue(high); w.WriteEndArray();
            WriteCurve(w, example, input.Parameter, low, high);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    // The slider's range: the walkthrough's value and the first descent steps, with a margin, rounded out to tenths.
    private static (double Low, double High) Range(WorkedExample example, string name, WorkedExample.DescentResult descent)
    {
        IEnumerable<double> values = descent.Steps.Take(50).Select(s => s.Value).Where(double.IsFinite).Append(example.Get(name)).Append(descent.Final);
        double low = values.Where(double.IsFinite).Min(), high = values.Where(double.IsFinite).Max();
        double margin = Math.Max(1, 0.25 * (high - low));
        return (Math.Floor((low - margin) * 10) / 10, Math.Ceiling((high + margin) * 10) / 10);
    }

    // Total cross entropy at evenly spaced values of the parameter, from the engine's float32 forward pass.
    private static void WriteCurve(Utf8JsonWriter w, WorkedExample example, string name, double low, double high)
    {
        float original = example.Get(name);
        w.WriteStartObject("curve");
        var values = new double[CurvePoints];
        var losses = new double[CurvePoints];
        try
        {
            for (int i = 0; i < CurvePoints; i++)
            {
                values[i] = low + (high - low) * i / (CurvePoints - 1);
                example.Set(name, (float)values[i]);
                losses[i] = example.TotalCrossEntropy();
            }
        }
        finally { example.Set(name, original); }
        w.WriteStartArray("values"); foreach (double v in values) w.WriteNumberValue(v); w.WriteEndArray();
        w.WriteStartArray("totalCrossEntropy"); foreach (double v in losses) Number(w, null, v); w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void Strings(Utf8JsonWriter w, string name, IEnumerable<string> values)
    {
        w.WriteStartArray(name);
        foreach (string v in values) w.WriteStringValue(v);
        w.WriteEndArray();
    }

    private static void Floats(Utf8JsonWriter w, string name, IEnumerable<float> values)
    {
        w.WriteStartArray(name);
        foreach (float v in values) w.WriteNumberValue(v);
        w.WriteEndArray();
    }

    private static void Number(Utf8JsonWriter w, string? name, double value) => JsonOutput.Number(w, name, value);
}
