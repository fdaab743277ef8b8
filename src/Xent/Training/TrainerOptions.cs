namespace Xent;

/// <summary>Which update rule trains the network.</summary>
public enum OptimizerKind
{
    /// <summary>Stochastic gradient descent, with <see cref="TrainerOptions.Momentum"/>, optional Nesterov momentum and L2 weight decay (PyTorch's SGD).</summary>
    Sgd,
    /// <summary>Adam (Kingma and Ba) with bias correction; <see cref="TrainerOptions.WeightDecay"/> is added to the gradient as L2.</summary>
    Adam,
    /// <summary>Adam with decoupled weight decay (Loshchilov and Hutter): θ −= η·λ·θ apart from the adaptive step.</summary>
    AdamW,
}

/// <summary>What early stopping watches on the validation set.</summary>
public enum MonitorKind
{
    /// <summary>The mean cross entropy on the validation rows; lower is better.</summary>
    ValidationLoss,
    /// <summary>The fraction of validation rows classified correctly; higher is better.</summary>
    ValidationAccuracy,
}

/// <summary>
/// How a <see cref="Training.Trainer"/> runs. The defaults need no tuning on small tabular sets: Adam (η = 0.01), mini-batches of
/// 32 reshuffled every epoch, early stopping on the validation loss with patience 20 and the best epoch's weights restored.
/// </summary>
public sealed record TrainerOptions
{
    /// <summary>The most epochs (passes over the training rows) to run.</summary>
    public int Epochs { get; init; } = 500;

    /// <summary>Rows per gradient step; 0 means the whole training set (full batch).</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>The update rule.</summary>
    public OptimizerKind Optimizer { get; init; } = OptimizerKind.Adam;

    /// <summary>The step size η (the schedule's starting value); positive.</summary>
    public float LearningRate { get; init; } = 0.01f;

    /// <summary>Momentum μ for SGD, in [0, 1).</summary>
    public float Momentum { get; init; } = 0.9f;

    /// <summary>Nesterov momentum for SGD.</summary>
    public bool Nesterov { get; init; }

    /// <summary>Adam and AdamW: the decay β₁ of the first-moment (mean) estimate, in [0, 1).</summary>
    public float Beta1 { get; init; } = 0.9f;
    /// <summary>Adam and AdamW: the decay β₂ of the second-moment (uncentred variance) estimate, in [0, 1).</summary>
    public float Beta2 { get; init; } = 0.999f;
    /// <summary>Adam and AdamW: ε added to √v̂ in the denominator; positive.</summary>
    public float AdamEpsilon { get; init; } = 1e-8f;

    /// <summary>L2 coefficient α for SGD and Adam (gradient += α·θ); the decoupled decay λ for AdamW.</summary>
    public float WeightDecay { get; init; } = 1e-4f;

    /// <summary>Rescale the gradients so their global L2 norm is at most this; 0 turns clipping off.</summary>
    public float GradientClipNorm { get; init; }

    /// <summary>How the learning rate changes from epoch to epoch.</summary>
    public ScheduleKind Schedule { get; init; } = ScheduleKind.Constant;

    /// <summary>Step schedule: epochs between decays.</summary>
    public int ScheduleStepSize { get; init; } = 100;

    /// <summary>Step schedule: the factor γ applied every step; reduce-on-plateau: the factor applied on a plateau.</summary>
    public float ScheduleGamma { get; init; } = 0.5f;

    /// <summary>Cosine and reduce-on-plateau: the lowest learning rate.</summary>
    public float MinimumLearningRate { get; init; } = 1e-6f;

    /// <summary>Reduce-on-plateau: epochs without improvement of the validation loss before the rate is cut.</summary>
    public int PlateauPatience { get; init; } = 10;

    /// <summary>Seeds the initial weights and the shuffling of every epoch.</summary>
    public long Seed { get; init; }

    /// <summary>With validation data: stop when the monitored value has not improved by more than <see cref="MinDelta"/> for <see cref="Patience"/> epochs.</summary>
    public bool EarlyStopping { get; init; } = true;

    /// <summary>What early stopping and reduce-on-plateau watch when there is validation data.</summary>
    public MonitorKind Monitor { get; init; } = MonitorKind.ValidationLoss;

    /// <summary>Epochs in a row without improvement before stopping (validation-based, or training loss when there is no validation data).</summary>
    public int Patience { get; init; } = 20;

    /// <summary>An improvement must exceed this: of the validation loss or accuracy, or of the training loss without validation data.</summary>
    public double MinDelta { get; init; } = 1e-4;

    /// <summary>At the end, put back the weights of the epoch with the best monitored value (validation data only).</summary>
    public bool RestoreBestWeights { get; init; } = true;

    /// <summary>A weight per class for the loss, or null for all ones. See <see cref="Training.ClassWeighting.Balanced"/>.</summary>
    public float[]? ClassWeights { get; init; }

    /// <summary>Label smoothing ε in [0, 1] for the loss.</summary>
    public float LabelSmoothing { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first bad field.</summary>
    /// <exception cref="ArgumentException">A field is out of range; the exception's parameter name is the field's name.</exception>
    public void Validate()
    {
        if (Epochs < 1) throw new ArgumentException($"Epochs must be at least 1, got {Epochs}", nameof(Epochs));
        if (BatchSize < 0) throw new ArgumentException($"BatchSize must be 0 (full batch) or positive, got {BatchSize}", nameof(BatchSize));
        if (!Enum.IsDefined(Optimizer)) throw new ArgumentException($"unknown optimizer {Optimizer}", nameof(Optimizer));
        if (!(LearningRate > 0) || !float.IsFinite(LearningRate)) throw new ArgumentException($"LearningRate must be a positive number, got {LearningRate}", nameof(LearningRate));
        if (!(Momentum >= 0 && Momentum < 1)) throw new ArgumentException($"Momentum must be in [0, 1), got {Momentum}", nameof(Momentum));
        if (Nesterov && (Optimizer != OptimizerKind.Sgd || Momentum == 0)) throw new ArgumentException("Nesterov needs the SGD optimizer with a momentum above 0", nameof(Nesterov));
        if (!(Beta1 >= 0 && Beta1 < 1)) throw new ArgumentException($"Beta1 must be in [0, 1), got {Beta1}", nameof(Beta1));
        if (!(Beta2 >= 0 && Beta2 < 1)) throw new ArgumentException($"Beta2 must be in [0, 1), got {Beta2}", nameof(Beta2));
        if (!(AdamEpsilon > 0)) throw new ArgumentException($"AdamEpsilon must be positive, got {AdamEpsilon}", nameof(AdamEpsilon));
        if (!(WeightDecay >= 0) || !float.IsFinite(WeightDecay)) throw new ArgumentException($"WeightDecay must be a non-negative number, got {WeightDecay}", nameof(WeightDecay));
        if (!(GradientClipNorm >= 0) || !float.IsFinite(GradientClipNorm)) throw new ArgumentException($"GradientClipNorm must be 0 (off) or positive, got {GradientClipNorm}", nameof(GradientClipNorm));
        if (!Enum.IsDefined(Schedule)) throw new ArgumentException($"unknown schedule {Schedule}", nameof(Schedule));
        if (ScheduleStepSize < 1) throw new ArgumentException($"ScheduleStepSize must be at least 1, got {ScheduleStepSize}", nameof(ScheduleStepSize));
        if (!(ScheduleGamma > 0 && ScheduleGamma <= 1)) throw new ArgumentException($"ScheduleGamma must be in (0, 1], got {ScheduleGamma}", nameof(ScheduleGamma));
        if (!(MinimumLearningRate >= 0) || MinimumLearningRate > LearningRate) throw new ArgumentException($"MinimumLearningRate must be in [0, LearningRate], got {MinimumLearningRate}", nameof(MinimumLearningRate));
        if (PlateauPatience < 0) throw new ArgumentException($"PlateauPatience must not be negative, got {PlateauPatience}", nameof(PlateauPatience));
        if (!Enum.IsDefined(Monitor)) throw new ArgumentException($"unknown monitor {Monitor}", nameof(Monitor));
        if (Patience < 1) throw new ArgumentException($"Patience must be at least 1, got {Patience}", nameof(Patience));
        if (!(MinDelta >= 0) || double.IsInfinity(MinDelta)) throw new ArgumentException($"MinDelta must be a non-negative number, got {MinDelta}", nameof(MinDelta));
        if (!(LabelSmoothing >= 0 && LabelSmoothing <= 1)) throw new ArgumentException($"LabelSmoothing must be in [0, 1], got {LabelSmoothing}", nameof(LabelSmoothing));
        if (ClassWeights is { } w && w.Any(v => !(v >= 0) || !float.IsFinite(v))) throw new ArgumentException("ClassWeights must be finite and non-negative", nameof(ClassWeights));
    }
}
