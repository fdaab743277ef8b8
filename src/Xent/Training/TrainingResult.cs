namespace Xent;

/// <summary>Why training ended.</summary>
public enum StopReason
{
    /// <summary>No validation data: the training loss did not fall by more than the minimum delta for the patience's number of epochs.</summary>
    NoImprovement,
    /// <summary>The monitored validation value did not improve by more than the minimum delta for the patience's number of epochs.</summary>
    EarlyStopped,
    /// <summary>The maximum number of epochs ran.</summary>
    MaxEpochs,
    /// <summary>The loss became NaN or infinite; the best weights seen before it were restored where there were any.</summary>
    NonFiniteLoss,
}

/// <summary>What one epoch produced, for progress reports.</summary>
/// <param name="Epoch">The epoch just completed, 1-based.</param>
/// <param name="MaxEpochs">The most epochs the run may take (<see cref="TrainerOptions.Epochs"/>).</param>
/// <param name="TrainLoss">The epoch's mean training loss.</param>
/// <param name="ValidationLoss">The validation loss after the epoch, or null without validation data.</param>
/// <param name="ValidationAccuracy">The validation accuracy after the epoch, or null without validation data.</param>
/// <param name="LearningRate">The learning rate the epoch used.</param>
public readonly record struct EpochReport(int Epoch, int MaxEpochs, double TrainLoss, double? ValidationLoss, double? ValidationAccuracy, float LearningRate)
{
    /// <summary>The fraction of training rows the epoch's batches classified correctly just before their updates.</summary>
    public double TrainAccuracy { get; init; }

    /// <summary>Time since this <c>Fit</c> call started.</summary>
    public TimeSpan Elapsed { get; init; }
}

/// <summary>What one mini-batch step produced, for progress within an epoch.</summary>
/// <param name="Epoch">The epoch the batch belongs to, 1-based.</param>
/// <param name="RowsDone">Training rows of this epoch taken so far, this batch included.</param>
/// <param name="RowCount">Training rows in an epoch.</param>
/// <param name="Loss">The batch's mean loss.</param>
/// <param name="TrainAccuracy">The fraction of this epoch's rows so far classified correctly before their updates.</param>
/// <param name="Elapsed">Time since this <c>Fit</c> call started.</param>
public readonly record struct BatchReport(int Epoch, int RowsDone, int RowCount, double Loss, double TrainAccuracy, TimeSpan Elapsed);

/// <summary>The outcome of <see cref="Training.Trainer.Fit(Data.Dataset, Data.Dataset?, IProgress{EpochReport}?, CancellationToken)"/>.</summary>
public sealed record TrainingResult
{
    /// <summary>The number of epochs run.</summary>
    public required int Epochs { get; init; }
    /// <summary>Why training ended.</summary>
    public required StopReason StopReason { get; init; }
    /// <summary>The mean training loss of each epoch (averaged over its mini-batches, weighted by rows).</summary>
    public required IReadOnlyList<double> LossHistory { get; init; }
    /// <summary>The validation loss after each epoch (empty without validation data).</summary>
    public IReadOnlyList<double> ValidationLossHistory { get; init; } = [];
    /// <summary>The validation accuracy after each epoch (empty without validation data).</summary>
    public IReadOnlyList<double> ValidationAccuracyHistory { get; init; } = [];
    /// <summary>Per epoch, the fraction of training rows each batch classified correctly just before its update.</summary>
    public IReadOnlyList<double> TrainAccuracyHistory { get; init; } = [];
    /// <summary>The epoch whose weights the network holds at the end (the best one when they were restored), 1-based; 0 if none.</summary>
    public int BestEpoch { get; init; }
    /// <summary>Whether the network's weights were put back to those of <see cref="BestEpoch"/> at the end.</summary>
    public bool RestoredBestWeights { get; init; }

    /// <summary>Why training stopped, as a sentence for people (e.g. "reached the maximum of 500 epochs").</summary>
    /// <returns>One line without a final full stop.</returns>
    public string Describe() => StopReason switch
    {
        StopReason.NoImprovement => $"the training loss stopped improving (no drop larger than the minimum delta for the patience's number of epochs) after {Epochs} epochs",
        StopReason.EarlyStopped => $"early stopping: the validation metric stopped improving after epoch {BestEpoch}; stopped at epoch {Epochs}" + (RestoredBestWeights ? $" and restored epoch {BestEpoch}'s weights" : ""),
        StopReason.MaxEpochs => $"reached the maximum of {Epochs} epochs" + (RestoredBestWeights ? $"; restored the best epoch's weights (epoch {BestEpoch})" : ""),
        StopReason.NonFiniteLoss => $"the loss became NaN or infinite at epoch {Epochs}; lower the learning rate, clip the gradients (TrainerOptions.GradientClipNorm), or check the data for extreme values" + (RestoredBestWeights ? $" (restored epoch {BestEpoch}'s weights)" : ""),
        _ => StopReason.ToString(),
    };
}
