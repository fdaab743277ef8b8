using Xent.Data;
using Xent.Layers;
using Xent.Numerics;
using Xent.Training;

namespace Xent.Tests.Training;

/// <summary>
/// Steady-state training allocates nothing: after a warm-up (buffers sized, JIT done), a training step and a whole epoch
/// leave this thread's allocation counter where it was. A correctness property of the hot path, not a timing.
/// </summary>
[Collection(nameof(AllocationTests))]
public class AllocationTests
{
    [Theory]
    [InlineData(OptimizerKind.Sgd, 4, 16, 3, 150)]       // Iris-sized: the small-matrix path
    [InlineData(OptimizerKind.Adam, 64, 128, 10, 32)]    // digits-sized
    [InlineData(OptimizerKind.AdamW, 300, 256, 10, 128)] // large enough for the packed and dot-product kernels and the worker threads
    public void ATrainingStepAllocatesNothing(OptimizerKind optimizer, int inputs, int hidden, int classes, int batch)
    {
        var random = new RandomSource(1);
        float[] x = Numerical.RandomArray(random, batch * inputs);
        int[] y = Enumerable.Range(0, batch).Select(i => i % classes).ToArray();
        Network network = Network.CreateClassifier(inputs, [hidden], classes, Activation.Relu, seed: 1);
        var trainer = new Trainer(network, new TrainerOptions { Optimizer = optimizer, GradientClipNorm = 1f, WeightDecay = 1e-4f });
        var grad = new float[batch * classes];
        for (int i = 0; i < 50; i++) trainer.Step(x, y, batch);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 20; i++) trainer.Step(x, y, batch);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void AnEpochOfMiniBatchesAllocatesOnlyItsHistoryEntries()
    {
        (Dataset train, _) = Split.Stratified(Iris.Load(), 0.2, 1);
        Network network = Network.CreateClassifier(4, [16], 3, Activation.Relu, seed: 1);
        var options = new TrainerOptions { Epochs = 400, BatchSize = 16, EarlyStopping = false, Patience = int.MaxValue };
        // Warm up a first trainer, then measure a second one's Fit: per epoch it may only grow its history lists.
        new Trainer(network, options with { Epochs = 50 }).Fit(train);
        var trainer = new Trainer(Network.CreateClassifier(4, [16], 3, Activation.Relu, seed: 1), options);
        trainer.Fit(train); // sizes every buffer once (and the lists reach 400 entries)
        long before = GC.GetAllocatedBytesForCurrentThread();
        var again = new Trainer(Network.CreateClassifier(4, [16], 3, Activation.Relu, seed: 1), options);
        long setup = GC.GetAllocatedBytesForCurrentThread() - before;
        before = GC.GetAllocatedBytesForCurrentThread();
        again.Fit(train);
        long perEpoch = (GC.GetAllocatedBytesForCurrentThread() - before) / 400;
        // Three history lists of doubles growing by doubling, the batch buffers, and the result arrays: well under 200 bytes an epoch.
        Assert.True(perEpoch < 200, $"{perEpoch} bytes per epoch (setup {setup} bytes)");
    }

    [Theory]
    [InlineData(16, 16)]    // the fused step
    [InlineData(40, 32)]    // the general path
    public void AnEpochOfDataParallelStepsAllocatesOnlyItsHistoryEntries(int hidden, int batch)
    {
        (Dataset train, _) = Split.Stratified(Iris.Load(), 0.2, 1);
        // Process 0 of a group of two whose other member holds no rows and never answers: every step still packs,
        // all-reduces (a no-op here) and unpacks the flat buffer, and picks its rows of each global batch by index.
        int[] mine = Enumerable.Range(0, train.RowCount).ToArray();
        var share = new TrainingShare(train.Subset(mine), mine, train.RowCount);
        var options = new TrainerOptions { Epochs = 400, BatchSize = batch, EarlyStopping = false, Patience = int.MaxValue };
        Trainer Create() => new(Network.CreateClassifier(4, [hidden], 3, Activation.Relu, seed: 1), options, new SilentPartner());
        Create().Fit(share);
        Trainer again = Create();
        long before = GC.GetAllocatedBytesForCurrentThread();
        TrainingResult result = again.Fit(share);
        long perEpoch = (GC.GetAllocatedBytesForCurrentThread() - before) / 400;
        Assert.True(perEpoch < 200, $"{perEpoch} bytes per epoch");
        Assert.True(result.Epochs == 400, $"{result.StopReason} after {result.Epochs} epochs, losses {string.Join(", ", result.LossHistory.TakeLast(3))}");
        Assert.Equal(400L * ((train.RowCount + batch - 1) / batch), again.AllReduceCount);
    }

    private sealed class SilentPartner : Xent.Distributed.ICollectives
    {
        public int Rank => 0;
        public int Size => 2;
        public void AllReduceSum(Span<float> values) { }
        public void AllReduceSum(Span<double> values) { }
        public void AllReduceSum(Span<int> values) { }
        public void Broadcast(Span<byte> values, int root) { }
        public void Broadcast(Span<float> values, int root) { }
        public void Abort(int exitCode) => throw new InvalidOperationException();
    }
}

/// <summary>Allocation counts run alone, not beside other tests that share the worker threads.</summary>
[CollectionDefinition(nameof(AllocationTests), DisableParallelization = true)]
public sealed class AllocationTestsCollection;
