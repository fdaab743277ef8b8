using System.Numerics.Tensors;

namespace Xent.Numerics;

/// <summary>Row-wise softmax and log-softmax of row-major [rows, columns] matrices, stable for any finite logits.</summary>
public static class Softmax
{
    // logits [rows, columns] -> probabilities [rows, columns]
    /// <summary>p[r, c] = exp(x[r, c] − max_r) / Σ_j exp(x[r, j] − max_r). Source and destination may be the same buffer.</summary>
    /// <param name="logits">Row-major [rows, columns] logits.</param>
    /// <param name="rows">The number of rows.</param>
    /// <param name="columns">The number of columns (classes).</param>
    /// <param name="probabilities">Receives [rows, columns] probabilities, each row summing to 1.</param>
    public static void Rows(ReadOnlySpan<float> logits, int rows, int columns, Span<float> probabilities)
    {
        Check(logits, rows, columns, probabilities);
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> x = logits.Slice(r * columns, columns);
            Span<float> p = probabilities.Slice(r * columns, columns);
            // Subtract the row maximum so exp cannot overflow; the largest term becomes exp(0) = 1.
            float max = TensorPrimitives.Max(x);
            if (float.IsNegativeInfinity(max) || float.IsNaN(max)) { p.Fill(float.NaN); continue; }
            TensorPrimitives.Subtract(x, max, p);
            TensorPrimitives.Exp(p, p);
            float sum = TensorPrimitives.Sum(p);
            TensorPrimitives.Divide(p, sum, p);
        }
    }

    // logits [rows, columns] -> logProbabilities [rows, columns]
    /// <summary>log p[r, c] = x[r, c] − max_r − log Σ_j exp(x[r, j] − max_r). Source and destination may be the same buffer.</summary>
    /// <param name="logits">Row-major [rows, columns] logits.</param>
    /// <param name="rows">The number of rows.</param>
    /// <param name="columns">The number of columns (classes).</param>
    /// <param name="logProbabilities">Receives [rows, columns] log-probabilities.</param>
    public static void LogRows(ReadOnlySpan<float> logits, int rows, int columns, Span<float> logProbabilities)
    {
        Check(logits, rows, columns, logProbabilities);
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> x = logits.Slice(r * columns, columns);
            Span<float> l = logProbabilities.Slice(r * columns, columns);
            float logSumExp = LogSumExp(x);
            TensorPrimitives.Subtract(x, logSumExp, l);
        }
    }

    /// <summary>log Σ exp(x) computed as max + log Σ exp(x − max): float exponentials, summed in double.</summary>
    /// <param name="x">The values.</param>
    /// <returns>log Σ exp(x), rounded to float.</returns>
    public static float LogSumExp(ReadOnlySpan<float> x) => (float)LogSumExpDouble(x);

    /// <summary>
    /// The one log-sum-exp every loss and softmax uses, kept in double: max + log Σ exp(x − max) with float exponentials.
    /// An empty row gives −∞; a maximum of ±∞ or NaN is returned as it is.
    /// </summary>
    /// <param name="x">The values.</param>
    /// <returns>log Σ exp(x) in double.</returns>
    public static double LogSumExpDouble(ReadOnlySpan<float> x)
    {
        if (x.IsEmpty) return double.NegativeInfinity;
        float max = TensorPrimitives.Max(x);
        if (float.IsInfinity(max) || float.IsNaN(max)) return max;
        double sum = 0;
        foreach (float v in x) sum += MathF.Exp(v - max);
        return max + Math.Log(sum);
    }

    private static void Check(ReadOnlySpan<float> source, int rows, int columns, Span<float> destination)
    {
        if (rows < 0) throw new ArgumentOutOfRangeException(nameof(rows));
        if (columns < 1) throw new ArgumentOutOfRangeException(nameof(columns), columns, "needs at least one column");
        long needed = (long)rows * columns;
        if (source.Length < needed) throw new ArgumentException($"needs {needed} elements, has {source.Length}", nameof(source));
        if (destination.Length < needed) throw new ArgumentException($"needs {needed} elements, has {destination.Length}", nameof(destination));
    }
}
