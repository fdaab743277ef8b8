using System.Globalization;
using Xent.Data;
using Xent.Numerics;

namespace Xent.Tests.Data;

/// <summary>Training from a stream with a limit far below the data's size, against training on the same file in memory.</summary>
public sealed class StreamingDataTests() : TemporaryFolderTests("xent-stream-")
{
    private string Cache => Directory.CreateDirectory(PathOf("cache")).FullName;

    // Three classes (one of them rare) from four features; labels written as numbers in several spellings.
    private string WriteCsv(string name, int rows)
    {
        var random = new RandomSource(11);
        string path = PathOf(name);
        using var w = new StreamWriter(path);
        w.WriteLine("a,b,c,d,label");
        for (int r = 0; r < rows; r++)
        {
            double[] x = Enumerable.Range(0, 4).Select(i => random.NextGaussian() * (i + 1) + i).ToArray();
            string label = x[0] + x[1] > 1.5 ? (r % 2 == 0 ? "2" : "2.0") : x[3] > 5 ? "10" : "1";
            w.WriteLine(string.Join(",", x.Select(v => v.ToString("F4", CultureInfo.InvariantCulture))) + "," + label);
        }
        return path;
    }

    private static ClassifierOptions Options(long seed = 4) => new()
    {
        Hidden = [8],
        ValidationFraction = 0.25,
        Trainer = new TrainerOptions { Epochs = 15, Seed = seed, BatchSize = 32, EarlyStopping = false },
    };

    private StreamingData Stream(string path, bool keep = false) =>
        new(DataSource.Open(path), new CsvOptions()) { MemoryLimitBytes = 32 << 10, CacheDirectory = Cache, KeepCache = keep };

    [Fact]
    public void TheSameClassesStandardisationAndSplitAsInMemoryAndAsAccurate()
    {
        string path = WriteCsv("data.csv", 3000);
        Table table = CsvData.ReadTable(path);
        (Table trainPart, Table validationPart) = Split.Stratified(table, 0.25, 4);
        Classifier memory = Classifier.Train(trainPart, Options(), validationPart);
        Classifier streamed = Classifier.Train(Stream(path), Options());

        Assert.Equal(table.ClassNames, streamed.ClassNames);
        Assert.Equal(memory.FeatureNames, streamed.FeatureNames);
        Assert.Equal(memory.Standardizer!.Mean, streamed.Standardizer!.Mean);
        Assert.Equal(memory.Standardizer.Deviation, streamed.Standardizer.Deviation);
        Assert.Equal(memory.Encoder.Columns.Select(c => c.Fill), streamed.Encoder.Columns.Select(c => c.Fill));
        Assert.Equal(3000, streamed.Streamed!.RowCount);
        Assert.Equal(validationPart.RowCount, streamed.Streamed.ValidationMetrics!.RowCount);
        Assert.Equal(trainPart.RowCount, streamed.Streamed.TrainMetrics.RowCount);

        // The streamed validation rows are the in-memory split's, in the same order.
        using (StreamedRows rows = StreamedRows.Prepare(Stream(path), null, 0.25, 4, CancellationToken.None))
        {
            Dataset expected = memory.Encoder.ToDataset(validationPart);
            var features = new float[rows.Validation!.RowsPerBlock * 4];
            var labels = new int[rows.Validation.RowsPerBlock];
            int at = 0;
            for (int b = 0; b < rows.Validation.BlockCount; b++)
            {
                rows.Validation.ReadBlock(b, features, labels);
                for (int r = 0; r < rows.Validation.RowsIn(b); r++, at++)
                {
                    Assert.Equal(expected.Labels[at], labels[r]);
                    Assert.Equal(expected.Row(at).ToArray(), features.AsSpan(r * 4, 4).ToArray());
                }
            }
            Assert.Equal(expected.RowCount, at);
        }

        // Within noise: the batches differ (blocks and buffers against a full shuffle), the data and the split do not.
        double memoryAccuracy = memory.Evaluate(validationPart).Accuracy;
        Assert.InRange(streamed.Streamed.ValidationMetrics.Accuracy, memoryAccuracy - 0.04, memoryAccuracy + 0.04);
        Assert.Equal(streamed.Streamed.ValidationMetrics.Accuracy, streamed.Evaluate(validationPart).Accuracy, 12);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Cache));
    }

    [Fact]
    public void TheSameSeedAndLimitTrainBitForBitTheSameModel()
    {
        string path = WriteCsv("data.csv", 1500);
        Classifier first = Classifier.Train(Stream(path), Options(seed: 9));
        Classifier second = Classifier.Train(Stream(path), Options(seed: 9));
        Assert.Equal(first.TrainingResult!.LossHistory, second.TrainingResult!.LossHistory);
        for (int i = 0; i < first.Network.Parameters.Count; i++)
            Assert.Equal(first.Network.Parameters[i].Value, second.Network.Parameters[i].Value);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Cache));
    }

    [Fact]
    public void AKeptCacheIsReusedUntilTheFileOrAnOptionChanges()
    {
        string path = WriteCsv("data.csv", 1500);
        Classifier built = Classifier.Train(Stream(path, keep: true), Options());
        Assert.False(built.Streamed!.CacheReused);
        Assert.Single(Directory.GetDirectories(Cache));
        Classifier reused = Classifier.Train(Stream(path, keep: true), Options());
        Assert.True(reused.Streamed!.CacheReused);
        Assert.Equal(built.TrainingResult!.LossHistory, reused.TrainingResult!.LossHistory);

        // Another seed splits other rows; a rewritten file has another time: both make a cache of their own.
        Assert.False(Classifier.Train(Stream(path, keep: true), Options(seed: 5)).Streamed!.CacheReused);
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddMinutes(1));
        Assert.False(Classifier.Train(Stream(path, keep: true), Options()).Streamed!.CacheReused);
        Assert.Equal(3, Directory.GetDirectories(Cache).Length);
        Assert.All(Directory.GetDirectories(Cache), d => Assert.Matches(@"xent-cache-[0-9a-f]{16}$", d));
    }

    [Fact]
    public void ACancelledPassLeavesNoCache()
    {
        string path = WriteCsv("data.csv", 1500);
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => Classifier.Train(Stream(path), Options(), cancellationToken: cancel.Token));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Cache));
    }
}
