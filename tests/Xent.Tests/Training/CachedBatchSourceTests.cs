using Xent.Data;
using Xent.Layers;
using Xent.Training;

namespace Xent.Tests.Training;

public sealed class CachedBatchSourceTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("xent-cache-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    // Row r has features (r, -r) and label r mod 3, so a batch row tells which cache row it came from.
    private RowCache Make(int rows, int rowsPerBlock)
    {
        string path = Path.Combine(_folder, $"rows-{rows}-{rowsPerBlock}.cache");
        using (var writer = new RowCacheWriter(path, 2, rowsPerBlock))
        {
            for (int r = 0; r < rows; r++) writer.Add([r, -r], r % 3);
            writer.Complete();
        }
        Assert.Empty(Directory.GetFiles(_folder, "*.tmp"));
        return RowCache.Open(path);
    }

    private static List<int> Epoch(CachedBatchSource source, int maxBatches = int.MaxValue)
    {
        var rows = new List<int>();
        source.BeginEpoch();
        for (int b = 0; b < maxBatches && source.Next(out ReadOnlySpan<float> x, out ReadOnlySpan<int> y, out _, out int batch); b++)
        {
            for (int i = 0; i < batch; i++)
            {
                int row = (int)x[2 * i];
                Assert.Equal(-row, x[2 * i + 1]);
                Assert.Equal(row % 3, y[i]);
                rows.Add(row);
            }
            source.Completed(batch, new StepResult(0, 0));
        }
        return rows;
    }

    [Theory]
    [InlineData(1000, 64, 3, 50)]
    [InlineData(1000, 64, 100, 7)]
    [InlineData(10, 3, 2, 4)]
    public void EveryRowOncePerEpochInAShuffledOrderThatRepeatsFromTheSeed(int rows, int rowsPerBlock, int blocksPerBuffer, int batchSize)
    {
        using RowCache cache = Make(rows, rowsPerBlock);
        Assert.Equal(rows, cache.RowCount);
        var source = new CachedBatchSource(cache, blocksPerBuffer, seed: 5);
        source.Use(batchSize);
        List<int> first = Epoch(source);
        source.EndEpoch();
        Assert.Equal(Enumerable.Range(0, rows), first.Order());
        Assert.NotEqual(Enumerable.Range(0, rows), first);
        List<int> second = Epoch(source);
        source.EndEpoch();
        Assert.NotEqual(first, second);

        var again = new CachedBatchSource(cache, blocksPerBuffer, seed: 5);
        again.Use(batchSize);
        Assert.Equal(first, Epoch(again));
    }

    [Fact]
    public void AResumedEpochHandsOutExactlyTheRowsItHadLeft()
    {
        using RowCache cache = Make(1000, 64);
        var full = new CachedBatchSource(cache, 3, seed: 9);
        full.Use(50);
        Epoch(full);
        full.EndEpoch();
        List<int> whole = Epoch(full);

        var interrupted = new CachedBatchSource(cache, 3, seed: 9);
        interrupted.Use(50);
        Epoch(interrupted);
        interrupted.EndEpoch();
        List<int> before = Epoch(interrupted, maxBatches: 9);   // 450 rows: inside the third buffer of 192 rows
        var resumed = new CachedBatchSource(cache, 3, seed: 1234);
        resumed.Restore(interrupted.RandomState, interrupted.Position, interrupted.LossSum, interrupted.Correct);
        resumed.Use(50);
        List<int> after = Epoch(resumed);
        Assert.Equal(whole, before.Concat(after));
    }

    [Fact]
    public void ADamagedCacheIsRefused()
    {
        using (Make(10, 4)) { }
        string path = Path.Combine(_folder, "rows-10-4.cache");
        File.WriteAllBytes(path, File.ReadAllBytes(path)[..40]);
        Assert.Throws<DataFormatException>(() => RowCache.Open(path));
    }
}

/// <summary>The trainer fed from a row cache: as accurate as from memory, bit-identical on repeat, and resumable mid-epoch.</summary>
public sealed class CachedTrainingTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("xent-cached-train-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private (Dataset Train, Dataset Validation, RowCache Cache) Iris()
    {
        (Dataset train, Dataset validation) = Split.Stratified(Xent.Data.Iris.Load(), 0.2, 4);
        Standardizer s = Standardizer.Fit(train);
        (train, validation) = (s.Transform(train), s.Transform(validation));
        string path = Path.Combine(_folder, "iris.cache");
        using (var writer = new RowCacheWriter(path, train.FeatureCount, rowsPerBlock: 16))
        {
            for (int r = 0; r < train.RowCount; r++) writer.Add(train.Row(r), train.Labels[r]);
            writer.Complete();
        }
        return (train, validation, RowCache.Open(path));
    }

    private static readonly TrainerOptions Options = new() { Seed = 8, Epochs = 40, BatchSize = 15, EarlyStopping = false };

    private static (TrainingResult, Network) FromCache(RowCache cache, Dataset validation)
    {
        Network network = Network.CreateClassifier(4, [16], 3, Activation.Relu, 1);
        var trainer = new Trainer(network, Options);
        trainer.UseCache(cache, blocksPerBuffer: 2);
        return (trainer.FitCached(validation), network);
    }

    [Fact]
    public void FromACacheAsAccurateAsFromMemoryAndBitIdenticalOnRepeat()
    {
        (Dataset train, Dataset validation, RowCache cache) = Iris();
        using (cache)
        {
            TrainingResult inMemory = new Trainer(Network.CreateClassifier(4, [16], 3, Activation.Relu, 1), Options).Fit(train, validation);
            (TrainingResult cached, Network first) = FromCache(cache, validation);
            (TrainingResult again, Network second) = FromCache(cache, validation);
            Assert.InRange(cached.ValidationAccuracyHistory[^1], inMemory.ValidationAccuracyHistory[^1] - 0.07, 1.0);
            Assert.Equal(cached.LossHistory, again.LossHistory);
            for (int i = 0; i < first.Parameters.Count; i++) Assert.Equal(first.Parameters[i].Value, second.Parameters[i].Value);
        }
    }

    [Fact]
    public void CancelledInTheMiddleOfAnEpochAndRestoredItEndsWhereTheUninterruptedRunEnds()
    {
        (_, Dataset validation, RowCache cache) = Iris();
        using (cache)
        {
            (TrainingResult expected, Network reference) = FromCache(cache, validation);

            Network network = Network.CreateClassifier(4, [16], 3, Activation.Relu, 1);
            using var cancel = new CancellationTokenSource();
            var optimizer = new CancellingOptimizer(Trainer.CreateOptimizer(network, Options), cancel, 8 * 5 + 3);
            var trainer = new Trainer(network, Trainer.CreateLoss(Options), optimizer, Options);
            trainer.UseCache(cache, blocksPerBuffer: 2);
            Assert.Throws<OperationCanceledException>(() => trainer.FitCached(validation, null, cancel.Token));
            TrainingState state = trainer.CaptureState();
            Assert.True(state.BatchStart > 0);

            Network copy = network.Clone();
            var fresh = new Trainer(copy, Options);
            fresh.UseCache(cache, blocksPerBuffer: 2);
            fresh.RestoreState(state);
            TrainingResult resumed = fresh.FitCached(validation);
            Assert.Equal(expected.LossHistory, resumed.LossHistory);
            for (int i = 0; i < reference.Parameters.Count; i++) Assert.Equal(reference.Parameters[i].Value, copy.Parameters[i].Value);
        }
    }
}
