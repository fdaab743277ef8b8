using System.Numerics.Tensors;
using Xent.Data;
using Xent.Layers;

namespace Xent.Training;

/// <summary>
/// Loss, accuracy and the full metrics of a network on rows in a <see cref="RowCache"/>, read a block at a time (the
/// rows never all in memory), each block standardised as it is read. Its buffers are allocated once, so evaluating after
/// every epoch allocates nothing.
/// </summary>
internal sealed class CachedEvaluation
{
    private const int Chunk = 1024;
    private readonly RowCache _cache;
    private readonly Standardizer? _standardizer;
    private readonly float[] _features;
    private readonly int[] _labels;

    public CachedEvaluation(RowCache cache, Standardizer? standardizer)
    {
        _cache = cache;
        _standardizer = standardizer;
        _features = new float[(long)cache.RowsPerBlock * cache.FeatureCount];
        _labels = new int[cache.RowsPerBlock];
    }

    public long RowCount => _cache.RowCount;

    /// <summary>Mean cross entropy and accuracy over every row of the cache (NaN for an empty cache).</summary>
    public (double Loss, double Accuracy) LossAndAccuracy(Network network)
    {
        if (_cache.RowCount == 0) return (double.NaN, double.NaN);
        double lossSum = 0;
        long correct = 0;
        for (int block = 0; block < _cache.BlockCount; block++)
        {
            int rows = Load(block);
            Evaluation.AddSums(network, _features, _labels, rows, ref lossSum, ref correct);
        }
        return (lossSum / _cache.RowCount, (double)correct / _cache.RowCount);
    }

    /// <summary>Accuracy, log loss, confusion matrix and per-class metrics (as <see cref="ClassificationMetrics.Compute"/>) over every row.</summary>
    public ClassificationMetrics Metrics(Network network, IReadOnlyList<string> classNames)
    {
        int k = classNames.Count, features = _cache.FeatureCount;
        var confusion = new int[k][];
        for (int i = 0; i < k; i++) confusion[i] = new int[k];
        double logLoss = 0;
        var p = new float[Chunk * k];
        for (int block = 0; block < _cache.BlockCount; block++)
        {
            int rows = Load(block);
            for (int start = 0; start < rows; start += Chunk)
            {
                int batch = Math.Min(Chunk, rows - start);
                network.PredictProbabilities(_features.AsSpan(start * features, batch * features), batch, p);
                for (int r = 0; r < batch; r++)
                {
                    ReadOnlySpan<float> row = p.AsSpan(r * k, k);
                    int actual = _labels[start + r];
                    confusion[actual][TensorPrimitives.IndexOfMax(row)]++;
                    logLoss -= Math.Log(Math.Clamp(row[actual], 1e-15, 1.0));
                }
            }
        }
        return ClassificationMetrics.FromConfusion(confusion, logLoss, classNames);
    }

    private int Load(int block)
    {
        int rows = _cache.RowsIn(block);
        _cache.ReadBlock(block, _features, _labels);
        _standardizer?.TransformInPlace(_features.AsSpan(0, rows * _cache.FeatureCount));
        return rows;
    }
}
