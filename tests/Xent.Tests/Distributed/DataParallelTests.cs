using Xent.Data;
using Xent.Distributed;
using Xent.Layers;
using Xent.Numerics;
using Xent.Training;

namespace Xent.Tests.Distributed;

/// <summary>
/// The data-parallel trainer without MPI: N trainers on N threads joined by <see cref="ThreadGroup"/>, an in-memory
/// <see cref="ICollectives"/> that sums in rank order. They must take the same steps as one trainer on all the rows.
/// </summary>
public class DataParallelTests
{
    internal static Dataset Blobs(int rows, int features, long seed)
    {
        var random = new RandomSource(seed);
        var x = new float[rows * features];
        var y = new int[rows];
        for (int r = 0; r < rows; r++)
        {
            for (int f = 0; f < features; f++) x[r * features + f] = (float)random.NextGaussian();
            y[r] = x[r * features] + x[r * features + 1] * x[r * features + 2] > 0.3 ? 0 : x[r * features + 3] > 0 ? 1 : 2;
        }
        return new Dataset(x, y, Enumerable.Range(0, features).Select(i => $"x{i}").ToArray(), ["a", "b", "c"]);
    }

    // Trains one network per process of a group of `ranks`, each on its interleaved share; returns every process's result and weights.
    internal static (TrainingResult Result, float[] Weights)[] TrainShared(Dataset data, int ranks, int[] hidden, TrainerOptions options)
    {
        var group = new ThreadGroup(ranks);
        var results = new (TrainingResult, float[])[ranks];
        Parallel.For(0, ranks, new ParallelOptions { MaxDegreeOfParallelism = ranks }, rank =>
        {
            ICollectives me = group.Member(rank);
            var share = new RowShare(rank, ranks);
            int[] mine = Enumerable.Range(0, data.RowCount).Where(i => share.Owns(i)).ToArray();
            Network network = Network.CreateClassifier(data.FeatureCount, hidden, data.ClassCount, Activation.Relu, options.Seed);
            var trainer = new Trainer(network, options, me);
            TrainingResult result = trainer.Fit(new TrainingShare(data.Subset(mine), mine, data.RowCount));
            results[rank] = (result, network.Parameters.SelectMany(p => p.Value.ToArray()).ToArray());
        });
        return results;
    }

    internal static (TrainingResult Result, float[] Weights) TrainAlone(Dataset data, int[] hidden, TrainerOptions options)
    {
        Network network = Network.CreateClassifier(data.FeatureCount, hidden, data.ClassCount, Activation.Relu, options.Seed);
        TrainingResult result = new Trainer(network, options).Fit(data);
        return (result, network.Parameters.SelectMany(p => p.Value.ToArray()).ToArray());
    }

    [Theory]
    [InlineData(2, 16, 32)]    // the fused small-network step
    [InlineData(3, 16, 32)]
    [InlineData(2, 64, 256)]   // the general path
    [InlineData(3, 64, 100)]
    public void EveryProcessHoldsTheSameWeightsAndTheLossCurveIsThatOfOneProcess(int ranks, int hidden, int batch)
    {
        Dataset data = Blobs(1000, 8, 1);
        var options = new TrainerOptions { Epochs = 3, BatchSize = batch, Seed = 4 };
        (TrainingResult one, float[] oneWeights) = TrainAlone(data, [hidden], options);
        var shared = TrainShared(data, ranks, [hidden], options);
        foreach ((TrainingResult result, float[] weights) in shared)
        {
            Assert.Equal(shared[0].Weights, weights);   // bit for bit on every process
            Assert.Equal(shared[0].Result.LossHistory, result.LossHistory);
        }
        double worstLoss = one.LossHistory.Zip(shared[0].Result.LossHistory, (a, b) => Math.Abs(a - b) / a).Max();
        double worstWeight = oneWeights.Zip(shared[0].Weights, (a, b) => Math.Abs(a - b)).Max() / oneWeights.Max(Math.Abs);
        Assert.True(worstLoss < 1e-6, $"loss differs by {worstLoss:E2} relative");
        Assert.True(worstWeight < 1e-5, $"weights differ by {worstWeight:E2} of the largest weight");
    }
}

/// <summary>
/// An in-memory group of threads: each reduction copies every member's values into a shared slot, and each member adds
/// the slots in rank order, so every member gets the same bits (as MPI_Allreduce does for a fixed size).
/// </summary>
internal sealed class ThreadGroup(int size)
{
    private readonly Barrier _barrier = new(size);
    private readonly object?[] _slots = new object?[size];

    public ICollectives Member(int rank) => new Handle(this, rank);

    private sealed class Handle(ThreadGroup group, int rank) : ICollectives
    {
        public int Rank => rank;
        public int Size => group._slots.Length;
        public void AllReduceSum(Span<float> values) => Reduce(values, (a, b) => a + b);
        public void AllReduceSum(Span<double> values) => Reduce(values, (a, b) => a + b);
        public void AllReduceSum(Span<int> values) => Reduce(values, (a, b) => a + b);
        public void Broadcast(Span<byte> values, int root) => Share(values, root);
        public void Broadcast(Span<float> values, int root) => Share(values, root);
        public void Abort(int exitCode) => throw new InvalidOperationException($"abort {exitCode}");

        private void Reduce<T>(Span<T> values, Func<T, T, T> add)
        {
            group._slots[rank] = values.ToArray();
            group._barrier.SignalAndWait();
            for (int i = 0; i < values.Length; i++)
            {
                T sum = ((T[])group._slots[0]!)[i];
                for (int r = 1; r < Size; r++) sum = add(sum, ((T[])group._slots[r]!)[i]);
                values[i] = sum;
            }
            group._barrier.SignalAndWait();
        }

        private void Share<T>(Span<T> values, int root)
        {
            if (rank == root) group._slots[root] = values.ToArray();
            group._barrier.SignalAndWait();
            ((T[])group._slots[root]!).CopyTo(values);
            group._barrier.SignalAndWait();
        }
    }
}
