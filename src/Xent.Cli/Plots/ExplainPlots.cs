using ScottPlot;
using Xent.Explain;

namespace Xent.Cli;

/// <summary>The two pictures of <c>xent explain --plot</c>.</summary>
internal static class ExplainPlots
{
    /// <summary>The plots' names for <paramref name="parameter"/> (each written as .png and .svg).</summary>
    public static string[] Names(string parameter) => [$"cross-entropy-vs-{parameter}", "cross-entropy-vs-squared-residual"];

    public static IReadOnlyList<string> Write(string directory, WorkedExample example, string name, IReadOnlyList<WorkedExample.SampleForward> forward, WorkedExample.DescentResult descent)
    {
        var files = new List<string>();
        string[] names = Names(name);
        files.AddRange(PlotFiles.Write(directory, [PlotFiles.Render(LossAgainstParameter(example, name, descent), names[0]), PlotFiles.Render(CrossEntropyAgainstSquaredResidual(forward), names[1])]));
        return files;
    }

    // The total cross entropy as a function of one parameter, over a range around the descent path, with the steps marked.
    private static Plot LossAgainstParameter(WorkedExample example, string name, WorkedExample.DescentResult descent)
    {
        double[] values = descent.Steps.Select(s => s.Value).ToArray();
        double low = values.Min(), high = values.Max();
        double margin = Math.Max(0.5, 0.25 * (high - low));
        float original = example.Get(name);
        const int points = 300;
        var xs = new double[points];
        var ys = new double[points];
        try
        {
            for (int i = 0; i < points; i++)
            {
                xs[i] = low - margin + (high - low + 2 * margin) * i / (points - 1);
                example.Set(name, (float)xs[i]);
                ys[i] = example.TotalCrossEntropy();
            }
        }
        finally { example.Set(name, original); }
        var plot = new Plot();
        var curve = plot.Add.ScatterLine(xs, ys);
        curve.LineWidth = 2;
        curve.LegendText = "total cross entropy";
        var path = plot.Add.Scatter(values, descent.Steps.Select(s => s.TotalCrossEntropy).ToArray());
        path.LineWidth = 1;

        path.MarkerSize = 8;
        path.LegendText = $"gradient-descent steps (start {descent.Start:0.##}, learning rate {descent.LearningRate:0.###})";
        var final = plot.Add.Marker(descent.Final, descent.Steps[^1].TotalCrossEntropy, MarkerShape.FilledDiamond, 14, Colors.Red);
        final.LegendText = $"final {name} = {descent.Final:0.###}";
        plot.Title($"Total cross entropy against {name} (the other 14 parameters fixed)");
        plot.XLabel(name);
        plot.YLabel("total cross entropy Σ −ln p(observed)");
        plot.ShowLegend(Alignment.UpperRight);
        return plot;
    }

    // −ln p and (1 − p)² against p, with each sample's p and the tangent (the slope gradient descent sees) there.
    private static Plot CrossEntropyAgainstSquaredResidual(IReadOnlyList<WorkedExample.SampleForward> forward)
    {
        const int points = 200;
        double[] p = Enumerable.Range(0, points).Select(i => 0.01 + 0.99 * i / (points - 1)).ToArray();
        var plot = new Plot();
        var ce = plot.Add.ScatterLine(p, p.Select(v => -Math.Log(v)).ToArray());
        ce.LineWidth = 2;
        ce.LegendText = "cross entropy −ln p";
        var sr = plot.Add.ScatterLine(p, p.Select(v => (1 - v) * (1 - v)).ToArray());
        var tangentLegend = plot.Add.ScatterLine(new double[] { double.NaN }, new double[] { double.NaN });
        tangentLegend.Color = Colors.Black;
        tangentLegend.LegendText = "tangents at the samples";
        sr.LineWidth = 2;
        sr.LegendText = "squared residual (1 − p)²";
        var notes = new List<string> { "Tangents at each sample's p (the slope gradient descent follows):" };
        foreach (var f in forward)
        {
            double p0 = f.ObservedProbability;
            string species = WorkedExample.Species[f.Sample.Species];
            double[] span = [Math.Max(0.01, p0 - 0.2), Math.Min(1, p0 + 0.2)];
            // Tangents: −ln p has slope −1/p; (1 − p)² has slope −2(1 − p).
            var t1 = plot.Add.ScatterLine(span, span.Select(x => -Math.Log(p0) - (x - p0) / p0).ToArray());
            t1.Color = Colors.Black; t1.LineWidth = 1.5f;
            var t2 = plot.Add.ScatterLine(span, span.Select(x => (1 - p0) * (1 - p0) - 2 * (1 - p0) * (x - p0)).ToArray());
            t2.Color = Colors.Black; t2.LineWidth = 1.5f;
            plot.Add.Marker(p0, -Math.Log(p0), MarkerShape.FilledCircle, 9, ce.Color);
            plot.Add.Marker(p0, (1 - p0) * (1 - p0), MarkerShape.FilledCircle, 9, sr.Color);
            notes.Add($"{species}: p = {p0:0.00}; slope of −ln p = {-1 / p0:0.00}, of (1 − p)² = {-2 * (1 - p0):0.00}");
        }
        var note = plot.Add.Annotation(string.Join("\n", notes), Alignment.MiddleCenter);
        note.LabelFontSize = 13;
        plot.Axes.SetLimits(0, 1.02, -0.1, 4.7);
        plot.Title("Cross entropy against the squared residual, with each sample's tangent");
        plot.XLabel("p, the predicted probability of the observed species");
        plot.YLabel("loss");
        plot.ShowLegend(Alignment.UpperRight);
        return plot;
    }
}
