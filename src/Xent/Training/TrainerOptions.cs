namespace Xent.Training;

/// <summary>How a <see cref="Trainer"/> runs. Defaults train the Iris example well without tuning.</summary>
public sealed record TrainerOptions
{
    /// <summary>The most epochs (passes over the training rows) to run.</summary>
    public int Epochs { get; init; } = 500;

    /// <summary>Rows per gradient step; 0 means the whole training set (full batch).</summary>
    public int BatchSize { get; init; } = 16;

    public float LearningRate { get; init; } = 0.05f;

    /// <summary>Momentum μ for gradient descent, in [0, 1).</summary>
    public float Momentum { get; init; } = 0.9f;

    /// <summary>Seeds the initial weights and the shuffling of every epoch.</summary>
    public long Seed { get; init; }

    /// <summary>An epoch counts as an improvement only when the training loss falls by more than this.</summary>
    public double Tolerance { get; init; } = 1e-4;

    /// <summary>Stop after this many epochs in a row without an improvement (scikit-learn's n_iter_no_change).</summary>
    public int Patience { get; init; } = 10;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first bad field.</summary>
    public void Validate()
    {
        if (Epochs < 1) throw new ArgumentException($"Epochs must be at least 1, got {Epochs}", nameof(Epochs));
        if (BatchSize < 0) throw new ArgumentException($"BatchSize must be 0 (full batch) or positive, got {BatchSize}", nameof(BatchSize));
        if (!(LearningRate > 0) || !float.IsFinite(LearningRate)) throw new ArgumentException($"LearningRate must be a positive number, got {LearningRate}", nameof(LearningRate));
        if (!(Momentum >= 0 && Momentum < 1)) throw new ArgumentException($"Momentum must be in [0, 1), got {Momentum}", nameof(Momentum));
        if (!(Tolerance >= 0) || double.IsInfinity(Tolerance)) throw new ArgumentException($"Tolerance must be a non-negative number, got {Tolerance}", nameof(Tolerance));
        if (Patience < 1) throw new ArgumentException($"Patience must be at least 1, got {Patience}", nameof(Patience));
    }
}
