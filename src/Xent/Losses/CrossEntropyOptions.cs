namespace Xent.Losses;

/// <summary>The options of PyTorch's <c>CrossEntropyLoss</c>, with its defaults.</summary>
public sealed record CrossEntropyOptions
{
    /// <summary>A weight per class (length = number of classes), or null for all ones.</summary>
    public float[]? Weights { get; init; }

    /// <summary>Rows whose target equals this contribute nothing to the loss or the mean's denominator.</summary>
    public int IgnoreIndex { get; init; } = -100;

    /// <summary>ε in [0, 1]: the target becomes (1 − ε)·onehot + ε/C.</summary>
    public float LabelSmoothing { get; init; }

    /// <summary>How the row losses are combined (PyTorch's default: the weighted mean).</summary>
    public Reduction Reduction { get; init; } = Reduction.Mean;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first bad field.</summary>
    /// <param name="classCount">The number of classes, to check the weights' length against; null to skip that check.</param>
    /// <exception cref="ArgumentException">A field is out of range.</exception>
    public void Validate(int? classCount = null)
    {
        if (!(LabelSmoothing >= 0 && LabelSmoothing <= 1))
            throw new ArgumentException($"LabelSmoothing must be in [0, 1], got {LabelSmoothing}", nameof(LabelSmoothing));
        if (!Enum.IsDefined(Reduction)) throw new ArgumentException($"unknown reduction {Reduction}", nameof(Reduction));
        if (Weights is { } w)
        {
            if (classCount is { } c && w.Length != c)
                throw new ArgumentException($"Weights has {w.Length} values but there are {c} classes", nameof(Weights));
            foreach (float v in w)
                if (!float.IsFinite(v) || v < 0) throw new ArgumentException($"Weights must be finite and non-negative, got {v}", nameof(Weights));
        }
    }
}
