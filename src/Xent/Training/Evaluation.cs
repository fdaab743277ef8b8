using System.Numerics.Tensors;
using Xent.Data;
using Xent.Layers;
using Xent.Losses;

namespace Xent.Training;

/// <summary>Loss and accuracy of a network on a data set, computed in chunks so memory stays bounded.</summary>
public static class Evaluation
{
    private const int Chunk = 1024;
    private static readonly SoftmaxCrossEntropy SumLoss = new(new CrossEntropyOptions { Reduction = Reduction.Sum });

    /// <summary>Mean cross entropy (log loss) and the fraction of rows whose argmax is the label.</summary>
    /// <param name="network">The network, used through the thread-safe <see cref="Network.Infer"/>.</param>
    /// <param name="data">Labelled rows in the network's feature order.</param>
    /// <returns>The mean loss and the accuracy; both NaN for an empty data set.</returns>
    public static (double Loss, double Accuracy) LossAndAccuracy(Network network, Dataset data)
    {
        if (data.RowCount == 0) return (double.NaN, double.NaN);
        (double lossSum, int correct) = Sums(network, data);
        return (lossSum / data.RowCount, (double)correct / data.RowCount);
    }

    /// <summary>
    /// The same over the rows that the processes of <paramref name="group"/> hold together: each adds up its rows' losses
    /// and correct predictions, and one all-reduce sums them with the row counts. Every process gets the same numbers.
    /// </summary>
    /// <param name="network">The network, the same on every process.</param>
    /// <param name="data">This process's labelled rows (possibly none).</param>
    /// <param name="group">The processes holding the other rows.</param>
    /// <returns>The mean loss and the accuracy over all processes' rows.</returns>
    public static (double Loss, double Accuracy) LossAndAccuracy(Network network, Dataset data, Distributed.ICollectives group)
    {
        if (group.Size == 1) return LossAndAccuracy(network, data);
        (double lossSum, int correct) = data.RowCount == 0 ? (0, 0) : Sums(network, data);
        Span<double> totals = [lossSum, correct, data.RowCount];
        group.AllReduceSum(totals);
        return totals[2] == 0 ? (double.NaN, double.NaN) : (totals[0] / totals[2], totals[1] / totals[2]);
    }

    // Σ cross entropy and the number of rows whose argmax is the label
    private static (double LossSum, int Correct) Sums(Network network, Dataset data)
    {
        double lossSum = 0;
        long correct = 0;
        AddSums(network, data.Features, data.Labels, data.RowCount, ref lossSum, ref correct);
        return (lossSum, (int)correct);
    }

    // features [rows, inputs], labels [rows]: adds Σ cross entropy and the rows whose argmax is the label, a chunk at a time
    internal static void AddSums(Network network, ReadOnlySpan<float> features, ReadOnlySpan<int> labels, int rows, ref double lossSum, ref long correct)
    {
        int width = network.InputCount, classes = network.ClassCount;
        for (int start = 0; start < rows; start += Chunk)
        {
            int batch = Math.Min(Chunk, rows - start);
            ReadOnlySpan<float> logits = network.Forward(features.Slice(start * width, batch * width), batch);
            ReadOnlySpan<int> y = labels.Slice(start, batch);
            lossSum += SumLoss.Forward(logits, y, batch, classes, Span<float>.Empty);
            for (int r = 0; r < batch; r++)
                if (TensorPrimitives.IndexOfMax(logits.Slice(r * classes, classes)) == y[r]) correct++;
        }
    }
}
