namespace Xent.Losses;

/// <summary>
/// Binary cross entropy on logits (PyTorch's <c>BCEWithLogitsLoss</c>): for each element with logit x, target
/// y ∈ [0, 1], element weight w and the positive-class weight pw of its column,
/// ℓ = w·[pw·y·softplus(−x) + (1 − y)·softplus(x)], since −log σ(x) = softplus(−x) and −log(1 − σ(x)) = softplus(x);
/// softplus(x) = max(x, 0) + log(1 + e^−|x|) is exact for large |x|.
/// </summary>
public sealed class BinaryCrossEntropyWithLogits
{
    /// <summary>The loss with PyTorch's options.</summary>
    /// <param name="weights">A weight per element, or null for all ones.</param>
    /// <param name="positiveWeights">A weight pw per column for the positive term, or null for all ones.</param>
    /// <param name="reduction">How the element losses are combined; <c>mean</c> divides by the element count.</param>
    public BinaryCrossEntropyWithLogits(float[]? weights = null, float[]? positiveWeights = null, Reduction reduction = Reduction.Mean)
    {
        Weights = weights;
        PositiveWeights = positiveWeights;
        Reduction = reduction;
    }

    /// <summary>A weight per element (same length as the logits), or null for all ones.</summary>
    public float[]? Weights { get; }

    /// <summary>A weight for the positive term per column (length = columns), or null for all ones.</summary>
    public float[]? PositiveWeights { get; }

    /// <summary>How the element losses are combined.</summary>
    public Reduction Reduction { get; }

    private static double Softplus(double x) => Math.Max(x, 0) + Math.Log(1 + Math.Exp(-Math.Abs(x)));

    private static double Sigmoid(double x) => x >= 0 ? 1 / (1 + Math.Exp(-x)) : Math.Exp(x) / (1 + Math.Exp(x));

    // logits [rows, columns], targets [rows, columns] -> losses [rows, columns] (when not empty); returns the reduced loss
    /// <summary>The element losses ℓ and their reduction.</summary>
    /// <param name="logits">Row-major [rows, columns] logits x.</param>
    /// <param name="targets">Row-major [rows, columns] targets y in [0, 1].</param>
    /// <param name="columns">The number of columns (outputs per row).</param>
    /// <param name="losses">Receives [rows, columns] element losses; empty to skip them.</param>
    /// <returns>The reduced loss.</returns>
    public double Forward(ReadOnlySpan<float> logits, ReadOnlySpan<float> targets, int columns, Span<float> losses)
    {
        Check(logits, targets, columns);
        double sum = 0;
        for (int i = 0; i < logits.Length; i++)
        {
            double x = logits[i], y = targets[i];
            double pw = PositiveWeights?[i % columns] ?? 1.0;
            double w = Weights?[i] ?? 1.0;
            double loss = w * (pw * y * Softplus(-x) + (1 - y) * Softplus(x));
            if (!losses.IsEmpty) losses[i] = (float)loss;
            sum += loss;
        }
        return Reduction == Reduction.Mean ? sum / logits.Length : sum;
    }

    // logits [rows, columns], targets [rows, columns] -> logitsGrad [rows, columns]; returns the reduced loss
    /// <summary>∂ℓ/∂x = w·[(1 − y)·σ(x) − pw·y·σ(−x)], divided by the element count for <c>mean</c>.</summary>
    /// <param name="logits">Row-major [rows, columns] logits x.</param>
    /// <param name="targets">Row-major [rows, columns] targets y in [0, 1].</param>
    /// <param name="columns">The number of columns (outputs per row).</param>
    /// <param name="logitsGrad">Receives [rows, columns] ∂ℓ/∂x.</param>
    /// <returns>The reduced loss.</returns>
    public double ForwardBackward(ReadOnlySpan<float> logits, ReadOnlySpan<float> targets, int columns, Span<float> logitsGrad)
    {
        double loss = Forward(logits, targets, columns, Span<float>.Empty);
        if (logitsGrad.Length < logits.Length) throw new ArgumentException($"needs {logits.Length} elements", nameof(logitsGrad));
        double scale = Reduction == Reduction.Mean ? 1.0 / logits.Length : 1.0;
        for (int i = 0; i < logits.Length; i++)
        {
            double x = logits[i], y = targets[i];
            double pw = PositiveWeights?[i % columns] ?? 1.0;
            double w = Weights?[i] ?? 1.0;
            logitsGrad[i] = (float)(w * ((1 - y) * Sigmoid(x) - pw * y * Sigmoid(-x)) * scale);
        }
        return loss;
    }

    private void Check(ReadOnlySpan<float> logits, ReadOnlySpan<float> targets, int columns)
    {
        if (columns < 1) throw new ArgumentOutOfRangeException(nameof(columns));
        if (logits.Length % columns != 0) throw new ArgumentException($"{logits.Length} logits are not whole rows of {columns}", nameof(logits));
        if (targets.Length != logits.Length) throw new ArgumentException($"needs {logits.Length} targets, has {targets.Length}", nameof(targets));
        if (Weights is { } w && w.Length != logits.Length) throw new ArgumentException($"Weights has {w.Length} values for {logits.Length} logits", nameof(logits));
        if (PositiveWeights is { } pw && pw.Length != columns) throw new ArgumentException($"PositiveWeights has {pw.Length} values for {columns} columns", nameof(logits));
    }
}
