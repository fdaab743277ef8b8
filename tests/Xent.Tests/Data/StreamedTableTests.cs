using System.Globalization;
using Parquet;
using Parquet.Schema;
using Xent.Data;
using Xent.Numerics;

namespace Xent.Tests.Data;

/// <summary>
/// Streamed tables with categorical columns and missing values against the same files read in memory: the same column
/// kinds, encoder (categories in the same order, the same fills and indicators), cached rows and standardisation, bit for bit.
/// </summary>
public sealed class StreamedTableTests() : TemporaryFolderTests("xent-stream-table-")
{
    private string Cache => Directory.CreateDirectory(PathOf("cache")).FullName;

    // n: numeric with missing cells (empty, NA, NaN); c: 40 categories of skewed frequency, some missing; late: numbers
    // until row 900, then text (so the pass meets its kind late); m: numeric, never missing; label: three classes.
    private sealed record Mixed(double?[] N, string?[] C, string[] Late, double[] M, string[] Label);

    private static Mixed MakeRows(int rows)
    {
        var random = new RandomSource(5);
        var data = new Mixed(new double?[rows], new string?[rows], new string[rows], new double[rows], new string[rows]);
        for (int r = 0; r < rows; r++)
        {
            double x = random.NextGaussian(), z = random.NextGaussian();
            data.N[r] = r % 17 == 3 ? null : Math.Round(x * 2 + 1, 3);
            int k = (int)Math.Min(39, Math.Abs(z * 9));
            data.C[r] = r % 23 == 5 ? null : "k" + k.ToString(CultureInfo.InvariantCulture);
            data.Late[r] = r < 900 ? (r % 5).ToString(CultureInfo.InvariantCulture) : r % 2 == 0 ? "red" : "blue";
            data.M[r] = Math.Round(random.NextGaussian() * 3, 4);
            data.Label[r] = x + (k < 5 ? 1 : 0) > 0.8 ? "hi" : data.M[r] > 1 ? "mid" : "lo";
        }
        return data;
    }

    private string WriteCsv(Mixed data, string name = "mixed.csv")
    {
        string path = PathOf(name);
        using var w = new StreamWriter(path);
        w.WriteLine("n,c,late,m,label");
        string[] missing = ["", "NA", "NaN", " "];
        for (int r = 0; r < data.M.Length; r++)
        {
            string n = data.N[r] is double v ? v.ToString("R", CultureInfo.InvariantCulture) : missing[r % missing.Length];
            w.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{n},{data.C[r] ?? ""},{data.Late[r]},{data.M[r]:R},{data.Label[r]}"));
        }
        return path;
    }

    // Strings as Parquet strings, nulls as nulls; written in row groups of rowsPerGroup.
    private string WriteParquet(Mixed data, int rowsPerGroup, string name = "mixed.parquet")
    {
        string path = PathOf(name);
        WriteParquetAsync(path, data, rowsPerGroup).GetAwaiter().GetResult();
        return path;
    }

    private static async Task WriteParquetAsync(string path, Mixed data, int rowsPerGroup)
    {
        var n = new DataField<double?>("n");
        var c = new DataField<string>("c");
        var late = new DataField<string>("late");
        var m = new DataField<double>("m");
        var label = new DataField<string>("label");
        await using var stream = File.Create(path);
        await using ParquetWriter writer = await ParquetWriter.CreateAsync(new ParquetSchema(n, c, late, m, label), stream);
        for (int from = 0; from < data.M.Length; from += rowsPerGroup)
        {
            int to = Math.Min(from + rowsPerGroup, data.M.Length);
            using ParquetRowGroupWriter group = writer.CreateRowGroup();
            await group.WriteAsync(n, (ReadOnlyMemory<double?>)data.N[from..to]);
            await group.WriteAsync(c, data.C[from..to]);
            await group.WriteAsync(late, data.Late[from..to]);
            await group.WriteAsync(m, (ReadOnlyMemory<double>)data.M[from..to]);
            await group.WriteAsync(label, data.Label[from..to]);
        }
    }

    private StreamingData Stream(string path, CsvOptions? options = null, long limit = 32 << 10) =>
        new(DataSource.Open(path), options ?? new CsvOptions()) { MemoryLimitBytes = limit, CacheDirectory = Cache };

    private static ClassifierOptions Options(int maxCategories = 6) => new()
    {
        Hidden = [8],
        ValidationFraction = 0.25,
        MaxCategories = maxCategories,
        Trainer = new TrainerOptions { Epochs = 4, Seed = 4, BatchSize = 32, EarlyStopping = false },
    };

    private static void AssertSameEncoder(TableEncoder expected, TableEncoder actual)
    {
        Assert.Equal(expected.FeatureNames, actual.FeatureNames);
        Assert.Equal(expected.Missing, actual.Missing);
        Assert.Equal(expected.Columns.Count, actual.Columns.Count);
        for (int c = 0; c < expected.Columns.Count; c++)
        {
            ColumnEncoding e = expected.Columns[c], a = actual.Columns[c];
            Assert.Equal(e.Name, a.Name);
            Assert.Equal(e.Kind, a.Kind);
            Assert.Equal(BitConverter.SingleToInt32Bits(e.Fill), BitConverter.SingleToInt32Bits(a.Fill));
            Assert.Equal(e.MissingIndicator, a.MissingIndicator);
            Assert.Equal(e.Categories, a.Categories);
            Assert.Equal(e.RareCategories, a.RareCategories);
            Assert.Equal(e.MissingCategory, a.MissingCategory);
        }
    }

    // Every row of a cache against the rows of an in-memory data set, bit for bit and in order.
    private static void AssertSameRows(Dataset expected, RowCache cache)
    {
        int width = expected.FeatureCount;
        Assert.Equal(width, cache.FeatureCount);
        var features = new float[cache.RowsPerBlock * width];
        var labels = new int[cache.RowsPerBlock];
        int at = 0;
        for (int b = 0; b < cache.BlockCount; b++)
        {
            cache.ReadBlock(b, features, labels);
            for (int r = 0; r < cache.RowsIn(b); r++, at++)
            {
                Assert.Equal(expected.Labels[at], labels[r]);
                Assert.Equal(expected.Row(at).ToArray(), features.AsSpan(r * width, width).ToArray());
            }
        }
        Assert.Equal(expected.RowCount, at);
    }

    private void AssertStreamedAsInMemory(string path, CsvOptions? options = null, long limit = 32 << 10)
    {
        Table table = CsvData.ReadTable(DataSource.Open(path), options ?? new CsvOptions());
        Assert.Equal(ColumnKind.Categorical, table.Column("late")!.Kind);
        Assert.Equal(ColumnKind.Numeric, table.Column("n")!.Kind);
        (Table trainPart, Table validationPart) = Split.Stratified(table, 0.25, 4);
        TableEncoder encoder = TableEncoder.Fit(trainPart, 6, MissingValues.Impute);
        Dataset train = encoder.ToDataset(trainPart), validation = encoder.ToDataset(validationPart);

        using (StreamedRows rows = StreamedRows.Prepare(Stream(path, options, limit), null, 0.25, 4, CancellationToken.None, 6, MissingValues.Impute))
        {
            AssertSameEncoder(encoder, rows.Encoder);
            Assert.Equal(table.ClassNames, rows.ClassNames);
            AssertSameRows(train, rows.Train);
            AssertSameRows(validation, rows.Validation!);
            Standardizer standardizer = Standardizer.Fit(train);
            Assert.Equal(standardizer.Mean, rows.Standardizer.Mean);
            Assert.Equal(standardizer.Deviation, rows.Standardizer.Deviation);
            // The column report counts every row, as a table's columns do.
            Assert.Equal(table.Columns.Select(c => (c.Name, c.Kind, c.DistinctCount, (long)c.MissingCount)),
                rows.Columns.Select(c => (c.Name, c.Kind, c.DistinctCount, c.MissingCount)));
        }
        Assert.Empty(Directory.EnumerateFileSystemEntries(Cache));

        // Through Classifier.Train: the model carries the same encoder and standardisation as the in-memory one.
        Classifier memory = Classifier.Train(trainPart, Options(), validationPart);
        Classifier streamed = Classifier.Train(Stream(path, options, limit), Options());
        AssertSameEncoder(memory.Encoder, streamed.Encoder);
        Assert.Equal(memory.Standardizer!.Mean, streamed.Standardizer!.Mean);
        Assert.Equal(memory.Standardizer.Deviation, streamed.Standardizer.Deviation);
        Assert.Equal(validationPart.RowCount, streamed.Streamed!.ValidationMetrics!.RowCount);
        Assert.Equal(streamed.Streamed.ValidationMetrics.Accuracy, streamed.Evaluate(validationPart).Accuracy, 12);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Cache));
    }

    [Fact]
    public void ACsvWithCategoriesAndMissingValuesStreamsToTheInMemoryEncodingBitForBit()
    {
        Mixed data = MakeRows(2000);
        AssertStreamedAsInMemory(WriteCsv(data));
    }

    [Fact]
    public void NamingTheCategoricalColumnsGivesTheSameEncodingInOnePass()
    {
        Mixed data = MakeRows(2000);
        AssertStreamedAsInMemory(WriteCsv(data), new CsvOptions { Categorical = ["c", "late"] });
    }

    [Fact]
    public void AParquetFileWithStringsAndNullsStreamsToTheInMemoryEncodingBitForBit()
    {
        Mixed data = MakeRows(2000);
        AssertStreamedAsInMemory(WriteParquet(data, rowsPerGroup: 700));
    }

    [Fact]
    public void ShardsOfMixedFormatsStreamAsOneTable()
    {
        Mixed data = MakeRows(2000);
        Directory.CreateDirectory(PathOf("shards"));
        Mixed Part(int from, int to) => new(data.N[from..to], data.C[from..to], data.Late[from..to], data.M[from..to], data.Label[from..to]);
        WriteCsv(Part(0, 800), "shards/part-1.csv");
        WriteParquet(Part(800, 2000), 500, "shards/part-2.parquet");
        AssertStreamedAsInMemory(PathOf("shards"));
    }

    [Fact]
    public void ASeparateValidationSourceIsEncodedByTheTrainingEncoder()
    {
        Mixed data = MakeRows(2400);
        Mixed Part(int from, int to) => new(data.N[from..to], data.C[from..to], data.Late[from..to], data.M[from..to], data.Label[from..to]);
        string trainPath = WriteCsv(Part(0, 1800), "train.csv"), validationPath = WriteCsv(Part(1800, 2400), "validation.csv");
        Table train = CsvData.ReadTable(trainPath), validation = CsvData.ReadTable(validationPath);
        ClassifierOptions options = Options() with { ValidationFraction = 0 };
        Classifier memory = Classifier.Train(train, options, validation);
        Classifier streamed = Classifier.Train(Stream(trainPath), options, Stream(validationPath));
        AssertSameEncoder(memory.Encoder, streamed.Encoder);
        Assert.Equal(memory.Standardizer!.Mean, streamed.Standardizer!.Mean);
        Assert.Equal(validation.RowCount, streamed.Streamed!.ValidationMetrics!.RowCount);
        Assert.Equal(streamed.Streamed.ValidationMetrics.Accuracy, streamed.Evaluate(validation).Accuracy, 12);
    }

    [Fact]
    public void MissingValuesUnderTheErrorPolicyAreOneLineNamingTheCell()
    {
        Mixed data = MakeRows(200);
        string path = WriteCsv(data);
        var options = new CsvOptions { Missing = MissingValues.Error };
        string expected = Assert.Throws<DataFormatException>(() => CsvData.ReadTable(path, options)).Message;
        var e = Assert.Throws<DataFormatException>(() => StreamedRows.Prepare(Stream(path, options), null, 0.25, 4, CancellationToken.None).Dispose());
        Assert.Equal(expected, e.Message);
        Assert.Matches(@"^mixed\.csv, line \d+, column '(n|c)': ", e.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Cache));
    }

    [Fact]
    public void MoreDistinctCategoriesThanTheLimitCountsAreOneLineNamingTheColumn()
    {
        // An identifier column: every row another category, about 90 bytes each against a budget of 256 KB.
        string path = PathOf("ids.csv");
        using (var w = new StreamWriter(path))
        {
            w.WriteLine("id,x,label");
            for (int r = 0; r < 6000; r++) w.WriteLine($"customer-{r:D8}-abc,{r % 7},{(r % 3 == 0 ? "a" : "b")}");
        }
        var e = Assert.Throws<DataFormatException>(() => StreamedRows.Prepare(Stream(path), null, 0.25, 4, CancellationToken.None).Dispose());
        Assert.DoesNotContain('\n', e.Message);
        Assert.Matches(@"^ids\.csv, line \d+, column 'id': more distinct categories \(\d+ in the categorical columns so far\) than a stream can count within StreamingData\.MemoryLimitBytes", e.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Cache));
        // Left out, the rest streams.
        using StreamedRows rows = StreamedRows.Prepare(Stream(path, new CsvOptions { Ignore = ["id"] }), null, 0.25, 4, CancellationToken.None);
        Assert.Equal(["x"], rows.FeatureNames);
    }

    [Fact]
    public void ARowGroupLargerThanTheLimitAllowsIsReadAColumnChunkAtATime()
    {
        // One row group of 20,000 rows × 5 columns: several MB in memory, against 2 MB (a quarter of 8 MB) for a row group.
        Mixed data = MakeRows(20000);
        string path = WriteParquet(data, rowsPerGroup: 20000);
        string spills = Directory.CreateDirectory(PathOf("spills")).FullName;
        using (var whole = new ParquetCells(path))
        using (var chunked = new ParquetCells(path, 2L << 20, spills))
        {
            // Every cell alike, read in the order a pass reads them (a column's number, then its text where that fails).
            int rows = 0;
            while (whole.Read())
            {
                Assert.True(chunked.Read());
                for (int c = 0; c < whole.FieldCount; c++)
                {
                    Assert.Equal(whole.TryNumber(c, out float a), chunked.TryNumber(c, out float b));
                    Assert.Equal(a, b);
                    Assert.Equal(whole.Text(c), chunked.Text(c));
                }
                rows++;
            }
            Assert.False(chunked.Read());
            Assert.Equal(20000, rows);
            Assert.Equal(0, whole.SpilledRowGroups);
            Assert.Equal(1, chunked.SpilledRowGroups);
        }
        Assert.Empty(Directory.EnumerateFileSystemEntries(spills));
        AssertStreamedAsInMemory(path, limit: 8L << 20);
    }

    [Fact]
    public void AColumnChunkLargerThanTheLimitAllowsIsOneLineNamingTheFileRowGroupColumnAndSize()
    {
        Mixed data = MakeRows(20000);
        string path = WriteParquet(data, rowsPerGroup: 20000);
        var e = Assert.Throws<DataFormatException>(() => StreamedRows.Prepare(Stream(path, limit: 1L << 20), null, 0.25, 4, CancellationToken.None).Dispose());
        Assert.DoesNotContain('\n', e.Message);
        Assert.Matches(@"^mixed\.parquet, row group 1, column '(n|c|late|m|label)': the column chunk takes about [0-9.]+ MB to read \(20000 rows\), more than the 0\.3 MB a row group may take under StreamingData\.MemoryLimitBytes", e.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Cache));
    }
}
