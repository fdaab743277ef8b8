using System.Numerics.Tensors;

namespace Xent;

/// <summary>Precision, recall, F1 and support of one class.</summary>
public sealed record ClassMetrics(string Class, double Precision, double Recall, double F1, int Support);

/// <summary>
/// Classification metrics from true labels and predicted probabilities: accuracy, log loss (mean −ln p of the true
/// class, p clipped to [1e-15, 1] as scikit-learn does), the confusion matrix (rows: true class, columns: predicted),
/// per-class precision = TP/(TP+FP), recall = TP/(TP+FN), F1 = 2PR/(P+R) (0 where undefined), and their macro averages.
/// </summary>
public sealed record ClassificationMetrics
{
    public required IReadOnlyList<string> Classes { get; init; }
    public required double Accuracy { get; init; }
    public required double LogLoss { get; init; }
    public required int[][] ConfusionMatrix { get; init; }
    public required IReadOnlyList<ClassMetrics> PerClass { get; init; }
    public double MacroPrecision => PerClass.Average(c => c.Precision);
    public double MacroRecall => PerClass.Average(c => c.Recall);
    public double MacroF1 => PerClass.Average(c => c.F1);
    public int RowCount => ConfusionMatrix.Sum(r => r.Sum());

    // labels [rows], probabilities [rows, classes]
    public static ClassificationMetrics Compute(ReadOnlySpan<int> labels, ReadOnlySpan<float> probabilities, IReadOnlyList<string> classes)
    {
        int k = classes.Count, rows = labels.Length;
        if (probabilities.Length != rows * k) throw new ArgumentException($"needs {rows * k} probabilities, has {probabilities.Length}", nameof(probabilities));
        var confusion = new int[k][];
        for (int i = 0; i < k; i++) confusion[i] = new int[k];
        double logLoss = 0;
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> p = probabilities.Slice(r * k, k);
            int predicted = TensorPrimitives.IndexOfMax(p);
            int actual = labels[r];
            confusion[actual][predicted]++;
            logLoss -= Math.Log(Math.Clamp(p[actual], 1e-15, 1.0));
        }
        return FromConfusion(confusion, logLoss, classes);
    }

    /// <summary>
    /// The metrics from a confusion matrix (rows: true class, columns: predicted) and the summed log loss, e.g. added up
    /// over the processes that each evaluated a share of the rows.
    /// </summary>
    public static ClassificationMetrics FromConfusion(int[][] confusion, double logLossSum, IReadOnlyList<string> classes)
    {
        int k = classes.Count, rows = 0, correct = 0;
        if (confusion.Length != k || confusion.Any(r => r.Length != k)) throw new ArgumentException($"the confusion matrix must be {k} × {k}", nameof(confusion));
        for (int c = 0; c < k; c++)
        {
            rows += confusion[c].Sum();
            correct += confusion[c][c];
        }
        var perClass = new ClassMetrics[k];
        for (int c = 0; c < k; c++)
        {
            int tp = confusion[c][c];
            int predictedAsC = 0, actuallyC = 0;
            for (int i = 0; i < k; i++) { predictedAsC += confusion[i][c]; actuallyC += confusion[c][i]; }
            double precision = predictedAsC == 0 ? 0 : (double)tp / predictedAsC;
            double recall = actuallyC == 0 ? 0 : (double)tp / actuallyC;
            double f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
            perClass[c] = new ClassMetrics(classes[c], precision, recall, f1, actuallyC);
        }
        return new ClassificationMetrics
        {
            Classes = classes,
            Accuracy = rows == 0 ? double.NaN : (double)correct / rows,
            LogLoss = rows == 0 ? double.NaN : logLossSum / rows,
            ConfusionMatrix = confusion,
            PerClass = perClass,
        };
    }
}
