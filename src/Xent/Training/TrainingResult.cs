namespace Xent.Training;

/// <summary>Why training ended.</summary>
public enum StopReason
{
    /// <summary>The loss did not improve by more than the tolerance for <see cref="TrainerOptions.Patience"/> epochs.</summary>
    NoImprovement,
    /// <summary>The maximum number of epochs ran.</summary>
    MaxEpochs,
    /// <summary>The loss became NaN or infinite; the model is not usable.</summary>
    NonFiniteLoss,
    Cancelled,
}

/// <summary>What one epoch produced, for progress reports.</summary>
public readonly record struct EpochReport(int Epoch, int MaxEpochs, double TrainLoss, double? ValidationLoss, double? ValidationAccuracy);

/// <summary>The outcome of <see cref="Trainer.Fit"/>.</summary>
public sealed record TrainingResult
{
    public required int Epochs { get; init; }
    public required StopReason StopReason { get; init; }
    /// <summary>The mean training loss of each epoch (averaged over its mini-batches, weighted by rows).</summary>
    public required IReadOnlyList<double> LossHistory { get; init; }
    public IReadOnlyList<double> ValidationLossHistory { get; init; } = [];

    public string Describe() => StopReason switch
    {
        StopReason.NoImprovement => $"the training loss stopped improving (no drop larger than the tolerance for the patience's number of epochs) after {Epochs} epochs",
        StopReason.MaxEpochs => $"reached the maximum of {Epochs} epochs",
        StopReason.NonFiniteLoss => $"the loss became NaN or infinite at epoch {Epochs}; lower the learning rate or check the data",
        StopReason.Cancelled => $"cancelled after {Epochs} epochs",
        _ => StopReason.ToString(),
    };
}
