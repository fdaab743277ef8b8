using Xent.Numerics;

namespace Xent.Training;

/// <summary>
/// Where the trainer's mini-batches come from, epoch after epoch: a data set in memory (<see cref="BatchSource"/>) or a
/// row cache on disk (<see cref="CachedBatchSource"/>). This base keeps, once for both, where an interrupted epoch
/// stands — the generator's state before the epoch's shuffles, the next row, the loss and correct count so far — so that
/// a checkpoint can save it and a resumed epoch takes exactly the batches it had left.
/// </summary>
internal abstract class EpochBatchSource(long seed)
{
    private ulong[] _epochRandomState = new ulong[4];

    /// <summary>The generator the epoch's shuffles draw from.</summary>
    protected RandomSource Random { get; private set; } = new(seed);

    /// <summary>True between the first batch of an epoch and the end of that epoch.</summary>
    public bool InEpoch { get; private set; }
    /// <summary>The first row of the next batch (rows of the epoch handed out so far).</summary>
    public int Position { get; private set; }
    /// <summary>Σ (batch loss × batch rows) over the epoch's batches so far.</summary>
    public double LossSum { get; private set; }
    /// <summary>Rows the epoch's batches classified correctly before their updates.</summary>
    public int Correct { get; private set; }

    /// <summary>Starts an epoch, or takes up an interrupted one where it stopped, then lets the source shuffle.</summary>
    public void BeginEpoch()
    {
        // The generator is put back to its state before the epoch's shuffles, so the shuffles alone rebuild the order.
        if (InEpoch) Random = RandomSource.FromState(_epochRandomState);
        else { Random.CopyState(_epochRandomState); (Position, LossSum, Correct) = (0, 0, 0); }
        InEpoch = true;
        Shuffle();
    }

    /// <summary>Draws the epoch's order from <see cref="Random"/>; <see cref="Position"/> says where a resumed epoch stands.</summary>
    protected abstract void Shuffle();

    // -> x [rows, features], y [rows]: this process's rows of the next batch of `batch` rows; false when the epoch has no batch left
    public abstract bool Next(out ReadOnlySpan<float> x, out ReadOnlySpan<int> y, out int rows, out int batch);

    /// <summary>Counts a finished batch and moves past it.</summary>
    public void Completed(int batch, StepResult result)
    {
        LossSum += result.Loss * batch;
        Correct += result.Correct;
        Position += batch;
    }

    public void EndEpoch() => InEpoch = false;

    /// <summary>The generator's state to save: mid-epoch, its state before that epoch's shuffles.</summary>
    public ulong[] RandomState => InEpoch ? (ulong[])_epochRandomState.Clone() : Random.GetState();

    public void Restore(ulong[] randomState, int position, double lossSum, int correct)
    {
        Random = RandomSource.FromState(randomState);
        _epochRandomState = randomState.ToArray();
        InEpoch = position > 0;
        (Position, LossSum, Correct) = InEpoch ? (position, lossSum, correct) : (0, 0, 0);
    }
}
