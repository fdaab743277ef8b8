using ScottPlot;

namespace Xent.Cli;

/// <summary>The pictures of <c>xent train --plot</c>: loss curves, accuracy curves and the confusion matrix.</summary>
internal static class TrainingPlots
{
    /// <summary>The plots' names (each written as .png and .svg).</summary>
    public static readonly IReadOnlyList<string> Names = ["loss", "accuracy", "confusion-matrix"];

    public static IReadOnlyList<PlotFiles.Rendered> Render(TrainingResult result, ClassificationMetrics metrics)
    {
        double[] epochs = Enumerable.Range(1, result.Epochs).Select(e => (double)e).ToArray();
        return
        [
            PlotFiles.Render(Curves(epochs, result.LossHistory, result.ValidationLossHistory, result.BestEpoch, "loss (cross entropy)", "Loss per epoch"), Names[0]),
            PlotFiles.Render(Curves(epochs, result.TrainAccuracyHistory, result.ValidationAccuracyHistory, result.BestEpoch, "accuracy", "Accuracy per epoch"), Names[1]),
            PlotFiles.Render(Confusion(metrics), Names[2]),
        ];
    }

    private static Plot Curves(double[] epochs, IReadOnlyList<double> train, IReadOnlyList<double> validation, int bestEpoch, string label, string title)
    {
        var plot = new Plot();
        var t = plot.Add.ScatterLine(epochs[..train.Count], train.ToArray());
        t.LineWidth = 2;
        t.LegendText = "training";
        if (validation.Count > 0)
        {
            var v = plot.Add.ScatterLine(epochs[..validation.Count], validation.ToArray());
            v.LineWidth = 2;
            v.LegendText = "validation";
            var best = plot.Add.VerticalLine(bestEpoch);
            best.LinePattern = LinePattern.Solid;
            best.Color = Colors.Gray;
            best.LegendText = $"kept weights (epoch {bestEpoch})";
        }
        plot.Title(title);
        plot.XLabel("epoch");
        plot.YLabel(label);
        plot.ShowLegend(Alignment.UpperRight);
        return plot;
    }

    private static Plot Confusion(ClassificationMetrics m)
    {
        int k = m.Classes.Count;
        var plot = new Plot();
        double max = Math.Max(1, m.ConfusionMatrix.Max(r => r.Max()));
        // Row i (true class) is drawn at height k − 1 − i so the first class is on top, as in a printed matrix.
        for (int i = 0; i < k; i++)
            for (int j = 0; j < k; j++)
            {
                double share = m.ConfusionMatrix[i][j] / max;
                double y = k - 1 - i;
                var cell = plot.Add.Rectangle(j - 0.5, j + 0.5, y - 0.5, y + 0.5);
                cell.FillColor = Color.FromARGB(0xFFFFFFFF).MixedWith(Color.FromARGB(0xFF08306B), share);
                cell.LineColor = Colors.White;
                var text = plot.Add.Text(m.ConfusionMatrix[i][j].ToString(), j, y);
                text.LabelAlignment = Alignment.MiddleCenter;
                text.LabelFontSize = 18;
                text.LabelFontColor = share > 0.5 ? Colors.White : Colors.Black;
            }
        double[] ticks = Enumerable.Range(0, k).Select(i => (double)i).ToArray();
        plot.Axes.Bottom.SetTicks(ticks, m.Classes.ToArray());
        plot.Axes.Left.SetTicks(ticks, m.Classes.Reverse().ToArray());
        plot.Axes.SetLimits(-0.5, k - 0.5, -0.5, k - 0.5);
        plot.Title($"Confusion matrix ({m.RowCount} rows, accuracy {m.Accuracy:P1})");
        plot.XLabel("predicted class");
        plot.YLabel("true class");
        return plot;
    }
}
