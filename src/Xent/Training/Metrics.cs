using System.Numerics.Tensors;

namespace Xent;

/// <summary>Precision, recall, F1 and support of one class.</summary>
/// <param name="Class">The class's name.</param>
/// <param name="Precision">TP / (TP + FP): of the rows predicted as this class, the share that are; 0 when none were predicted.</param>
/// <param name="Recall">TP / (TP + FN): of the rows of this class, the share predicted as it; 0 when it has none.</param>
/// <param name="F1">2·P·R / (P + R), 0 when both are 0.</param>
/// <param name="Support">The number of rows of this class.</param>
public sealed record ClassMetrics(string Class, double Precision, double Recall, double F1, int Support);

/// <summary>
/// Classification metrics from true labels and predicted probabilities: accuracy, log loss (mean −ln p of the true
/// class, p clipped to [1e-15, 1] as scikit-learn does), the confusion matrix (rows: true class, columns: predicted),
/// per-class precision = TP/(TP+FP), recall = TP/(TP+FN), F1 = 2PR/(P+R) (0 where undefined), and their macro averages.
/// </summary>
public sealed record ClassificationMetrics
{
    /// <summary>The class names, in the order of the matrix's rows and columns.</summary>
    public required IReadOnlyList<string> Classes { get; init; }
    /// <summary>The fraction of rows whose most probable class is the true one.</summary>
    public required double Accuracy { get; init; }
    /// <summary>The mean −ln p of the true class (p clipped to [1e-15, 1]).</summary>
    public required double LogLoss { get; init; }
    /// <summary>[true class][predicted class] row counts.</summary>
    public required int[][] ConfusionMatrix { get; init; }
    /// <summary>Precision, recall, F1 and support of each class, in <see cref="Classes"/> order.</summary>
    public required IReadOnlyList<ClassMetrics> PerClass { get; init; }
    /// <summary>The unweighted mean of the classes' precision.</summary>
    public double MacroPrecision => PerClass.Average(c => c.Precision);
    /// <summary>The unweighted mean of the classes' recall.</summary>
    public double MacroRecall => PerClass.Average(c => c.Recall);
    /// <summary>The unweighted mean of the classes' F1.</summary>
    public double MacroF1 => PerClass.Average(c => c.F1);
    /// <summary>The number of rows evaluated.</summary>
    public int RowCount => ConfusionMatrix.Sum(r => r.Sum());

    // labels [rows], probabilities [rows, classes]
    /// <summary>The metrics of predicted probabilities against true labels.</summary>
    /// <param name="labels">[rows] true class indices.</param>
    /// <param name="probabilities">Row-major [rows, classes] predicted probabilities.</param>
    /// <param name="classes">The class names.</param>
    /// <returns>The metrics.</returns>
    public static ClassificationMetrics Compute(ReadOnlySpan<int> labels, ReadOnlySpan<float> probabilities, IReadOnlyList<string> classes)
    {
        int k = classes.Count, rows = labels.Length;
        if (probabilities.Length != rows * k) throw new ArgumentException($"needs {rows * k} probabilities, has {probabilities.Length}", nameof(probabilities));
        var confusion = new int[k][];
        for (int i = 0; i < k; i++) confusion[i] = new int[k];
        double logLoss = 0;
        Add(labels, probabilities, confusion, ref logLoss);
        return FromConfusion(confusion, logLoss, classes);
    }

    // labels [rows], probabilities [rows, classes] -> counts each row into confusion[true][predicted] and adds its
    // −ln p(true class) to logLossSum, in row order: rows added a chunk at a time give the sums of the whole.
    internal static void Add(ReadOnlySpan<int> labels, ReadOnlySpan<float> probabilities, int[][] confusion, ref double logLossSum)
    {
        int k = confusion.Length;
        for (int r = 0; r < labels.Length; r++)
        {
            ReadOnlySpan<float> p = probabilities.Slice(r * k, k);
            int predicted = TensorPrimitives.IndexOfMax(p);
            int actual = labels[r];
            confusion[actual][predicted]++;
            logLossSum -= Math.Log(Math.Clamp(p[actual], 1e-15, 1.0));
        }
    }

    /// <summary>
    /// The metrics from a confusion matrix (rows: true class, columns: predicted) and the summed log loss, e.g. added up
    /// over the processes that each evaluated a share of the rows.
    /// </summary>
    /// <param name="confusion">[true class][predicted class] row counts.</param>
    /// <param name="logLossSum">The sum over the rows of −ln p of the true class.</param>
    /// <param name="classes">The class names.</param>
    /// <returns>The metrics.</returns>
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
