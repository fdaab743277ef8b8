namespace Xent.Training;

/// <summary>
/// Where the trainer's mini-batches come from, epoch after epoch: a data set in memory (<see cref="BatchSource"/>) or a
/// row cache on disk (<see cref="CachedBatchSource"/>). Each also keeps where an interrupted epoch stands, so that a
/// checkpoint can save it and a resumed epoch takes exactly the batches it had left.
/// </summary>
internal interface IBatchSource
{
    /// <summary>True between the first batch of an epoch and the end of that epoch.</summary>
    bool InEpoch { get; }
    /// <summary>The first row of the next batch (rows of the epoch handed out so far).</summary>
    int Position { get; }
    /// <summary>Σ (batch loss × batch rows) over the epoch's batches so far.</summary>
    double LossSum { get; }
    /// <summary>Rows the epoch's batches classified correctly before their updates.</summary>
    int Correct { get; }
    /// <summary>Starts an epoch, or takes up an interrupted one where it stopped.</summary>
    void BeginEpoch();
    // -> x [rows, features], y [rows]: this process's rows of the next batch of `batch` rows; false when the epoch has no batch left
    bool Next(out ReadOnlySpan<float> x, out ReadOnlySpan<int> y, out int rows, out int batch);
    /// <summary>Counts a finished batch and moves past it.</summary>
    void Completed(int batch, StepResult result);
    void EndEpoch();
    /// <summary>The generator's state to save: mid-epoch, its state before that epoch's shuffles.</summary>
    ulong[] RandomState { get; }
    void Restore(ulong[] randomState, int position, double lossSum, int correct);
}
