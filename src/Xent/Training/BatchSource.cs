using Xent.Data;
using Xent.Numerics;

namespace Xent.Training;

/// <summary>
/// The mini-batches of one epoch after another: each epoch shuffles the row order from the seeded generator and hands
/// out the batches in that order, gathered into one contiguous buffer (the full batch is the data set's own buffers).
/// It also remembers where an interrupted epoch stands — the generator's state before its shuffle, the next batch's
/// first row, and the loss and correct count so far — so that a resumed epoch takes exactly the batches it had left.
/// </summary>
internal sealed class BatchSource(long seed)
{
    private readonly BatchGather _gather = new();
    private RandomSource _random = new(seed);
    private ulong[] _epochRandomState = [];
    private int[] _order = [];
    private float[] _features = [];
    private int[] _labels = [];
    private Dataset? _data;
    private int _batchSize;

    /// <summary>True between the first batch of an epoch and the end of that epoch.</summary>
    public bool InEpoch { get; private set; }
    /// <summary>The first row of the next batch.</summary>
    public int Position { get; private set; }
    /// <summary>Σ (batch loss × batch rows) over the epoch's batches so far.</summary>
    public double LossSum { get; private set; }
    /// <summary>Rows the epoch's batches classified correctly before their updates.</summary>
    public int Correct { get; private set; }

    /// <summary>Sizes the buffers for <paramref name="data"/> in batches of <paramref name="batchSize"/> rows.</summary>
    public void Use(Dataset data, int batchSize)
    {
        _data = data;
        _batchSize = batchSize;
        if (_order.Length != data.RowCount) _order = new int[data.RowCount];
        if (_features.Length < batchSize * data.FeatureCount) _features = new float[batchSize * data.FeatureCount];
        if (_labels.Length < batchSize) _labels = new int[batchSize];
    }

    /// <summary>Starts an epoch, or takes up an interrupted one where it stopped.</summary>
    public void BeginEpoch()
    {
        // Each epoch shuffles the identity permutation, so the generator's state alone determines the order.
        if (InEpoch) _random = RandomSource.FromState(_epochRandomState);
        else { _epochRandomState = _random.GetState(); (Position, LossSum, Correct) = (0, 0, 0); }
        InEpoch = true;
        for (int i = 0; i < _order.Length; i++) _order[i] = i;
        if (_batchSize < _order.Length) _random.Shuffle(_order);
    }

    // -> x [batch, features], y [batch]; false when the epoch has no batch left
    public bool Next(out ReadOnlySpan<float> x, out ReadOnlySpan<int> y, out int batch)
    {
        Dataset data = _data!;
        batch = Math.Min(_batchSize, data.RowCount - Position);
        if (batch <= 0) { x = default; y = default; return false; }
        if (batch == data.RowCount)
        {
            // Full batch: the data set's own buffers, no copy.
            x = data.Features;
            y = data.Labels;
            return true;
        }
        _gather.Run(data.Features, data.Labels, data.FeatureCount, _order, Position, batch, _features, _labels);
        x = _features.AsSpan(0, batch * data.FeatureCount);
        y = _labels.AsSpan(0, batch);
        return true;
    }

    /// <summary>Counts a finished batch and moves past it.</summary>
    public void Completed(int batch, StepResult result)
    {
        LossSum += result.Loss * batch;
        Correct += result.Correct;
        Position += batch;
    }

    public void EndEpoch() => InEpoch = false;

    /// <summary>The generator's state to save: mid-epoch, its state before that epoch's shuffle.</summary>
    public ulong[] RandomState => InEpoch ? (ulong[])_epochRandomState.Clone() : _random.GetState();

    public void Restore(ulong[] randomState, int position, double lossSum, int correct)
    {
        _random = RandomSource.FromState(randomState);
        _epochRandomState = randomState.ToArray();
        InEpoch = position > 0;
        (Position, LossSum, Correct) = InEpoch ? (position, lossSum, correct) : (0, 0, 0);
    }
}

/// <summary>What one training step produced: the batch's mean loss and how many rows it classified correctly before the update.</summary>
public readonly record struct StepResult(double Loss, int Correct);
