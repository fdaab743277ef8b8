namespace Xent.Optimizers;

/// <summary>
/// A learning-rate schedule evaluated once per epoch, starting at <paramref name="initial"/>. Its only state (for
/// reduce-on-plateau) is exposed so that checkpoints can restore it.
/// </summary>
/// <param name="kind">The shape of the schedule.</param>
/// <param name="initial">η at epoch 1.</param>
/// <param name="totalEpochs">T, the number of epochs cosine annealing spans.</param>
/// <param name="stepSize">Step: epochs between decays.</param>
/// <param name="gamma">Step: the factor applied every <paramref name="stepSize"/> epochs.</param>
/// <param name="minimum">Cosine and reduce-on-plateau: the lowest rate.</param>
/// <param name="plateauPatience">Reduce-on-plateau: epochs without improvement before a cut.</param>
/// <param name="plateauFactor">Reduce-on-plateau: the factor of a cut.</param>
public sealed class LearningRateSchedule(ScheduleKind kind, float initial, int totalEpochs, int stepSize = 30, float gamma = 0.1f,
    float minimum = 0f, int plateauPatience = 10, float plateauFactor = 0.1f)
{
    /// <summary>The shape of the schedule.</summary>
    public ScheduleKind Kind { get; } = kind;
    /// <summary>η at epoch 1.</summary>
    public float Initial { get; } = initial;
    /// <summary>The epochs cosine annealing spans.</summary>
    public int TotalEpochs { get; } = totalEpochs;
    /// <summary>Step: epochs between decays.</summary>
    public int StepSize { get; } = stepSize;
    /// <summary>Step: the decay factor.</summary>
    public float Gamma { get; } = gamma;
    /// <summary>The lowest rate of cosine annealing and reduce-on-plateau.</summary>
    public float Minimum { get; } = minimum;
    /// <summary>Reduce-on-plateau: epochs without improvement before a cut.</summary>
    public int PlateauPatience { get; } = plateauPatience;
    /// <summary>Reduce-on-plateau: the factor of a cut.</summary>
    public float PlateauFactor { get; } = plateauFactor;

    /// <summary>The learning rate for the next epoch.</summary>
    public float Current { get; set; } = initial;

    /// <summary>Reduce-on-plateau: the best monitored value so far (lower is better) and epochs since it.</summary>
    public double PlateauBest { get; set; } = double.PositiveInfinity;
    /// <summary>Reduce-on-plateau: epochs since <see cref="PlateauBest"/>.</summary>
    public int PlateauWait { get; set; }

    /// <summary>
    /// Called after epoch <paramref name="epoch"/> (1-based) with the monitored value (lower is better; NaN when there
    /// is none); sets <see cref="Current"/> for the next epoch.
    /// </summary>
    /// <param name="epoch">The epoch just completed, 1-based.</param>
    /// <param name="monitored">The monitored value of that epoch (lower is better), or NaN.</param>
    public void EpochEnded(int epoch, double monitored)
    {
        switch (Kind)
        {
            case ScheduleKind.Constant:
                break;
            case ScheduleKind.Step:
                Current = Initial * MathF.Pow(Gamma, epoch / StepSize);
                break;
            case ScheduleKind.Cosine:
                Current = (float)(Minimum + (Initial - Minimum) * (1 + Math.Cos(Math.PI * Math.Min(epoch, TotalEpochs) / TotalEpochs)) / 2);
                break;
            case ScheduleKind.ReduceOnPlateau:
                if (double.IsNaN(monitored)) break;
                // PyTorch's default threshold: an improvement must beat the best by a relative 1e-4.
                if (monitored < PlateauBest * (1 - 1e-4 * Math.Sign(PlateauBest))) { PlateauBest = monitored; PlateauWait = 0; }
                else if (++PlateauWait > PlateauPatience)
                {
                    Current = Math.Max(Minimum, Current * PlateauFactor);
                    PlateauWait = 0;
                }
                break;
        }
    }
}
