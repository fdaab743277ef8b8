using Xent.Data;
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
        for (int b = 0; b < maxBatches && source.Next(out ReadOnlySpan<float> x, out ReadOnlySpan<int> y, out int batch); b++)
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
