namespace Xent.Optimizers;

/// <summary>
/// A learning-rate schedule evaluated once per epoch. Its only state (for reduce-on-plateau) is exposed so that
/// checkpoints can restore it.
/// </summary>
public sealed class LearningRateSchedule
{
    public LearningRateSchedule(ScheduleKind kind, float initial, int totalEpochs, int stepSize = 30, float gamma = 0.1f,
        float minimum = 0f, int plateauPatience = 10, float plateauFactor = 0.1f)
    {
        Kind = kind;
        Initial = initial;
        TotalEpochs = totalEpochs;
        StepSize = stepSize;
        Gamma = gamma;
        Minimum = minimum;
        PlateauPatience = plateauPatience;
        PlateauFactor = plateauFactor;
        Current = initial;
    }

    public ScheduleKind Kind { get; }
    public float Initial { get; }
    public int TotalEpochs { get; }
    public int StepSize { get; }
    public float Gamma { get; }
    public float Minimum { get; }
    public int PlateauPatience { get; }
    public float PlateauFactor { get; }

    /// <summary>The learning rate for the next epoch.</summary>
    public float Current { get; set; }

    /// <summary>Reduce-on-plateau: the best monitored value so far (lower is better) and epochs since it.</summary>
    public double PlateauBest { get; set; } = double.PositiveInfinity;
    public int PlateauWait { get; set; }

    /// <summary>
    /// Called after epoch <paramref name="epoch"/> (1-based) with the monitored value (lower is better; NaN when there
    /// is none); sets <see cref="Current"/> for the next epoch.
    /// </summary>
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
