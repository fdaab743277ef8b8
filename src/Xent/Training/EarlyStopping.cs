using Xent.Layers;

namespace Xent.Training;

/// <summary>
/// Watches one value per epoch (lower is better), keeps a copy of the weights of the best epoch, and says when
/// <see cref="TrainerOptions.Patience"/> epochs in a row brought no improvement larger than <see cref="TrainerOptions.MinDelta"/>.
/// </summary>
internal sealed class EarlyStopping(IReadOnlyList<Parameter> parameters, TrainerOptions options)
{
    private readonly float[][] _bestWeights = parameters.Select(p => new float[p.Length]).ToArray();

    public double Best { get; private set; } = double.NaN;
    public int BestEpoch { get; private set; }
    public int SinceBest { get; private set; }
    public IReadOnlyList<float[]> BestWeights => _bestWeights;

    /// <summary>Records <paramref name="epoch"/>'s value; true when training should stop.</summary>
    public bool Observe(int epoch, double value, bool keepWeights)
    {
        if (double.IsNaN(Best) || value < Best - options.MinDelta)
        {
            (Best, BestEpoch, SinceBest) = (value, epoch, 0);
            if (keepWeights)
                for (int i = 0; i < _bestWeights.Length; i++) parameters[i].Value.CopyTo(_bestWeights[i]);
            return false;
        }
        return ++SinceBest >= options.Patience;
    }

    /// <summary>Puts the best epoch's weights back unless the network already holds them; true when it did.</summary>
    public bool RestoreBest(int currentEpoch)
    {
        if (BestEpoch == 0 || BestEpoch == currentEpoch) return false;
        for (int i = 0; i < _bestWeights.Length; i++) _bestWeights[i].AsSpan().CopyTo(parameters[i].Value);
        return true;
    }

    public void Restore(double best, int bestEpoch, int sinceBest, IReadOnlyList<float[]> bestWeights)
    {
        if (bestWeights.Count != _bestWeights.Length) throw new ArgumentException("the saved best weights belong to another network", nameof(bestWeights));
        for (int i = 0; i < _bestWeights.Length; i++)
        {
            if (bestWeights[i].Length != _bestWeights[i].Length) throw new ArgumentException("the saved best weights have other shapes", nameof(bestWeights));
            bestWeights[i].CopyTo(_bestWeights[i], 0);
        }
        (Best, BestEpoch, SinceBest) = (best, bestEpoch, sinceBest);
    }
}

/// <summary>The per-epoch curves of a run.</summary>
internal sealed class TrainingHistory
{
    public List<double> Loss { get; } = [];
    public List<double> TrainAccuracy { get; } = [];
    public List<double> ValidationLoss { get; } = [];
    public List<double> ValidationAccuracy { get; } = [];

    public void Add(double loss, double trainAccuracy, double? validationLoss, double? validationAccuracy)
    {
        Loss.Add(loss);
        TrainAccuracy.Add(trainAccuracy);
        if (validationLoss is double vl) ValidationLoss.Add(vl);
        if (validationAccuracy is double va) ValidationAccuracy.Add(va);
    }

    public void Restore(TrainingState state)
    {
        Loss.Clear(); Loss.AddRange(state.LossHistory);
        TrainAccuracy.Clear(); TrainAccuracy.AddRange(state.TrainAccuracyHistory);
        ValidationLoss.Clear(); ValidationLoss.AddRange(state.ValidationLossHistory);
        ValidationAccuracy.Clear(); ValidationAccuracy.AddRange(state.ValidationAccuracyHistory);
    }
}
