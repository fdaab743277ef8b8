using Xent.Data;
using Xent.Numerics;

namespace Xent.Training;

/// <summary>
/// The mini-batches of one epoch after another from a <see cref="RowCache"/> on disk, at bounded memory: each epoch
/// shuffles the block order, then reads the blocks a buffer at a time (<c>blocksPerBuffer</c> blocks) and shuffles the
/// rows within each buffer, so batches are close to a full shuffle while only one buffer is in memory. The members match
/// <see cref="BatchSource"/>: the position of an interrupted epoch is the generator's state before its shuffles and the
/// number of rows already handed out; a resumed epoch replays the shuffles (which depend only on the block sizes, not on
/// the data) without reading the buffers it has finished, and hands out exactly the rows it had left.
/// Steady state allocates nothing: the buffer, the orders and the batch are allocated once. Positions are ints, as in a
/// checkpoint, so one epoch holds at most 2³¹ − 1 rows.
/// </summary>
internal sealed class CachedBatchSource : EpochBatchSource
{
    private readonly RowCache _cache;
    private readonly int _blocksPerBuffer;
    private readonly int _width;
    private readonly int[] _blockOrder;
    private readonly float[] _bufferFeatures;
    private readonly int[] _bufferLabels;
    private readonly int[] _rowOrder;
    private readonly Standardizer? _standardizer;
    private Memory<float> _features;   // 64-byte aligned (AlignedMemory), like the network's own buffers
    private int[] _labels = [];
    private int _batchSize;
    private int _nextBuffer;        // the next buffer to load, as an index into groups of the block order
    private int _bufferRows, _bufferCursor;

    // With a standardiser, the cache holds raw rows and each buffer is standardised as it is read, by the same float
    // operations as Standardizer.Transform, so the batches hold the values an in-memory run would.
    public CachedBatchSource(RowCache cache, int blocksPerBuffer, long seed, Standardizer? standardizer = null) : base(seed)
    {
        if (standardizer is not null && standardizer.FeatureCount != cache.FeatureCount)
            throw new ArgumentException($"the standardiser has {standardizer.FeatureCount} features, the cache {cache.FeatureCount}", nameof(standardizer));
        _standardizer = standardizer;
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(blocksPerBuffer);
        if (cache.RowCount > int.MaxValue) throw new ArgumentException($"the cache holds {cache.RowCount} rows; an epoch takes at most {int.MaxValue}", nameof(cache));
        _cache = cache;
        _blocksPerBuffer = Math.Min(blocksPerBuffer, Math.Max(1, cache.BlockCount));
        _width = cache.FeatureCount;
        _blockOrder = new int[cache.BlockCount];
        _bufferFeatures = new float[_blocksPerBuffer * cache.RowsPerBlock * _width];
        _bufferLabels = new int[_blocksPerBuffer * cache.RowsPerBlock];
        _rowOrder = new int[_blocksPerBuffer * cache.RowsPerBlock];
    }

    public long RowCount => _cache.RowCount;
    /// <summary>Rows one buffer holds.</summary>
    public int BufferCapacity => _rowOrder.Length;

    public void Use(int batchSize)
    {
        _batchSize = batchSize;
        if (_labels.Length < batchSize) (_features, _labels) = (AlignedMemory.Allocate(batchSize * _width), new int[batchSize]);
    }

    protected override void Shuffle()
    {
        for (int i = 0; i < _blockOrder.Length; i++) _blockOrder[i] = i;
        Random.Shuffle(_blockOrder);
        (_nextBuffer, _bufferRows, _bufferCursor) = (0, 0, 0);
        // Replay the buffers the interrupted epoch finished: their shuffles, not their reads.
        int skipped = 0;
        while (true)
        {
            int rows = BufferRows(_nextBuffer);
            if (rows == 0 || skipped + rows > Position) break;
            Random.Shuffle(_rowOrder.AsSpan(0, rows));
            skipped += rows;
            _nextBuffer++;
        }
        if (Position > skipped)
        {
            LoadBuffer();
            _bufferCursor = Position - skipped;
        }
    }

    private int BufferRows(int buffer)
    {
        int rows = 0;
        for (int b = buffer * _blocksPerBuffer; b < Math.Min(_blockOrder.Length, (buffer + 1) * _blocksPerBuffer); b++) rows += _cache.RowsIn(_blockOrder[b]);
        return rows;
    }

    private void LoadBuffer()
    {
        int rows = 0;
        for (int b = _nextBuffer * _blocksPerBuffer; b < Math.Min(_blockOrder.Length, (_nextBuffer + 1) * _blocksPerBuffer); b++)
        {
            int block = _blockOrder[b], n = _cache.RowsIn(block);
            _cache.ReadBlock(block, _bufferFeatures.AsSpan(rows * _width), _bufferLabels.AsSpan(rows));
            rows += n;
        }
        _standardizer?.TransformInPlace(_bufferFeatures.AsSpan(0, rows * _width));
        for (int i = 0; i < rows; i++) _rowOrder[i] = i;
        Random.Shuffle(_rowOrder.AsSpan(0, rows));
        (_bufferRows, _bufferCursor) = (rows, 0);
        _nextBuffer++;
    }

    // -> x [batch, features], y [batch]; false when the epoch has no batch left. A batch may span two buffers.
    public override bool Next(out ReadOnlySpan<float> x, out ReadOnlySpan<int> y, out int rows, out int batch)
    {
        batch = rows = (int)Math.Min(_batchSize, _cache.RowCount - Position);
        if (batch <= 0) { x = default; y = default; return false; }
        Span<float> features = _features.Span;
        for (int i = 0; i < batch; i++)
        {
            if (_bufferCursor == _bufferRows) LoadBuffer();
            int row = _rowOrder[_bufferCursor++];
            _bufferFeatures.AsSpan(row * _width, _width).CopyTo(features.Slice(i * _width, _width));
            _labels[i] = _bufferLabels[row];
        }
        x = _features.Span[..(batch * _width)];
        y = _labels.AsSpan(0, batch);
        return true;
    }




}
