using Xent.Numerics;

namespace Xent.Training;

/// <summary>
/// Copies one mini-batch's rows, in the shuffled order, out of the data set into the contiguous batch buffer. For large
/// batches the rows are split between the worker threads: the copy is bound by fetching rows scattered over the whole
/// data set, and two cores have twice the outstanding memory requests of one.
/// </summary>
internal sealed class BatchGather : IWorkItem
{
    private float[] _features = [];
    private Memory<float> _batchFeatures;
    private int[] _labels = [], _batchLabels = [], _order = [];
    private int _start, _batch, _width, _parts;

    // features [rows, width], labels [rows], order: a permutation of rows -> batchFeatures [batch, width], batchLabels [batch]
    public void Run(float[] features, int[] labels, int width, int[] order, int start, int batch, Memory<float> batchFeatures, int[] batchLabels)
    {
        (_features, _labels, _width, _order, _start, _batch, _batchFeatures, _batchLabels) = (features, labels, width, order, start, batch, batchFeatures, batchLabels);
        _parts = WorkerPool.Parts((long)batch * width, WorkerPool.ParallelElements, batch);
        WorkerPool.Run(this, _parts);
    }

    public void Execute(int firstPart, int lastPart)
    {
        (int first, int last) = WorkerPool.Share(_batch, firstPart, lastPart, _parts);
        Span<float> batchFeatures = _batchFeatures.Span;
        for (int i = first; i < last; i++)
        {
            int row = _order[_start + i];
            _features.AsSpan(row * _width, _width).CopyTo(batchFeatures.Slice(i * _width, _width));
            _batchLabels[i] = _labels[row];
        }
    }
}
