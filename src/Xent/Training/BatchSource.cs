using Xent.Data;
using Xent.Numerics;

namespace Xent.Training;

/// <summary>
/// The mini-batches of one epoch after another: each epoch shuffles the row order from the seeded generator and hands
/// out the batches in that order, gathered into one contiguous buffer (the full batch is the data set's own buffers).
/// It also remembers where an interrupted epoch stands — the generator's state before its shuffle, the next batch's
/// first row, and the loss and correct count so far — so that a resumed epoch takes exactly the batches it had left.
/// With a <see cref="TrainingShare"/> of a larger set, the order and the batches are those of the whole set (every
/// process shuffles the same way) and each batch hands out only the rows this process holds, in the batch's order.
/// </summary>
internal sealed class BatchSource(long seed) : EpochBatchSource(seed)
{
    private readonly BatchGather _gather = new();
    private int[] _order = [];
    private Memory<float> _features;   // 64-byte aligned (AlignedMemory), like the network's own buffers
    private int[] _labels = [];
    private Dataset? _data;
    private int _batchSize;
    private int _rowCount;
    // With a share: the local row of each row of the whole set (−1 when another process holds it), and the local rows of
    // the current batch.
    private int[]? _localOf;
    private int[] _localOrder = [];


    /// <summary>Sizes the buffers for <paramref name="share"/> in batches of <paramref name="batchSize"/> rows of the whole set.</summary>
    public void Use(TrainingShare share, int batchSize)
    {
        Dataset data = share.Rows;
        _data = data;
        _batchSize = batchSize;
        _rowCount = share.GlobalRowCount;
        if (_order.Length != _rowCount) _order = new int[_rowCount];
        if (_features.Length < batchSize * data.FeatureCount) _features = AlignedMemory.Allocate(batchSize * data.FeatureCount);
        if (_labels.Length < batchSize) _labels = new int[batchSize];
        _localOf = null;
        if (!share.IsWhole)
        {
            _localOf = new int[_rowCount];
            Array.Fill(_localOf, -1);
            for (int i = 0; i < share.GlobalIndices.Length; i++) _localOf[share.GlobalIndices[i]] = i;
            if (_localOrder.Length < batchSize) _localOrder = new int[batchSize];
        }
    }

    // Each epoch shuffles the identity permutation, so the generator's state alone determines the order.
    // A full batch is the data set's own buffers in their order (see Next): no order to draw, and nothing drawn from the
    // generator, as before.
    protected override void Shuffle()
    {
        if (_batchSize >= _order.Length) return;
        for (int i = 0; i < _order.Length; i++) _order[i] = i;
        Random.Shuffle(_order);
    }

    // -> x [rows, features], y [rows]: this process's rows of the next batch of `batch` rows of the whole set (all of them
    // without a share); false when the epoch has no batch left
    public override bool Next(out ReadOnlySpan<float> x, out ReadOnlySpan<int> y, out int rows, out int batch)
    {
        Dataset data = _data!;
        batch = rows = Math.Min(_batchSize, _rowCount - Position);
        if (batch <= 0) { x = default; y = default; return false; }
        if (batch == _rowCount)
        {
            // Full batch: the data set's own buffers, no copy (a share's rows are in the whole set's order).
            x = data.Features;
            y = data.Labels;
            rows = data.RowCount;
            return true;
        }
        int[] order = _order;
        int start = Position;
        if (_localOf is { } localOf)
        {
            rows = 0;
            for (int i = Position; i < Position + batch; i++)
                if (localOf[_order[i]] is int local and >= 0) _localOrder[rows++] = local;
            (order, start) = (_localOrder, 0);
        }
        if (rows > 0) _gather.Run(data.Features, data.Labels, data.FeatureCount, order, start, rows, _features, _labels);
        x = _features.Span[..(rows * data.FeatureCount)];
        y = _labels.AsSpan(0, rows);
        return true;
    }




}

/// <summary>
/// The part of a training set that one process of a group holds: its rows, in the order they have in the whole set, each
/// row's index in the whole set, and the whole set's row count. One process holds <see cref="Whole"/> of its data.
/// </summary>
public sealed record TrainingShare
{
    /// <summary>A process's part of a training set.</summary>
    /// <param name="rows">The process's rows, in the order they have in the whole set.</param>
    /// <param name="globalIndices">Each row's index in the whole set, increasing.</param>
    /// <param name="globalRowCount">The number of rows of the whole set.</param>
    /// <exception cref="ArgumentException">The indices do not match the rows, or do not increase within [0, globalRowCount).</exception>
    public TrainingShare(Dataset rows, int[] globalIndices, int globalRowCount)
    {
        if (globalIndices.Length != rows.RowCount) throw new ArgumentException($"{globalIndices.Length} indices for {rows.RowCount} rows", nameof(globalIndices));
        for (int i = 0; i < globalIndices.Length; i++)
            if (globalIndices[i] < 0 || globalIndices[i] >= globalRowCount || i > 0 && globalIndices[i] <= globalIndices[i - 1])
                throw new ArgumentException($"the indices must increase within [0, {globalRowCount}); index {i} is {globalIndices[i]}", nameof(globalIndices));
        (Rows, GlobalIndices, GlobalRowCount) = (rows, globalIndices, globalRowCount);
    }

    private TrainingShare(Dataset rows) => (Rows, GlobalIndices, GlobalRowCount, IsWhole) = (rows, [], rows.RowCount, true);

    /// <summary>All of <paramref name="data"/>, held by one process.</summary>
    /// <param name="data">The whole training set.</param>
    /// <returns>The share that is all of it.</returns>
    public static TrainingShare Whole(Dataset data) => new(data);

    /// <summary>This process's rows.</summary>
    public Dataset Rows { get; }
    /// <summary>Each row's index in the whole set (empty for <see cref="Whole"/>, where it is the row's own index).</summary>
    public int[] GlobalIndices { get; }
    /// <summary>The number of rows of the whole training set, over all processes.</summary>
    public int GlobalRowCount { get; }
    /// <summary>Whether this share is the whole set (a single process).</summary>
    public bool IsWhole { get; }
}

/// <summary>What one training step produced: the batch's mean loss and how many rows it classified correctly before the update.</summary>
/// <param name="Loss">The batch's mean loss, before the update.</param>
/// <param name="Correct">The rows of the batch whose argmax was the label, before the update.</param>
public readonly record struct StepResult(double Loss, int Correct);
