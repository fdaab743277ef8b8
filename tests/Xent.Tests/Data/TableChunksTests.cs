using Xent.Data;
using Xent.Numerics;

namespace Xent.Tests.Data;

/// <summary>
/// Reading by a model's columns a chunk of rows at a time (what <c>xent predict</c> streams through) against reading the
/// whole file: the same cells, labels and errors, whatever the chunk size.
/// </summary>
public sealed class TableChunksTests() : TemporaryFolderTests("xent-chunks-")
{
    // A model's view of the columns: kinds and classes fixed, columns by name (the file has them in another order).
    private static readonly CsvOptions ModelReading = new()
    {
        LabelRequired = false,
        Label = "label",
        FeatureNames = ["size", "city", "score"],
        FeatureKinds = [ColumnKind.Numeric, ColumnKind.Categorical, ColumnKind.Numeric],
        ClassNames = ["no", "yes"],
        Missing = MissingValues.Impute,
    };

    private string WriteCsv(int rows, string? badRowText = null, int badRow = -1)
    {
        var random = new RandomSource(5);
        string[] cities = ["Paris", "Lyon", "Nice", "Brest"];
        string path = PathOf("rows.csv");
        using var writer = new StreamWriter(path);
        writer.WriteLine("score,label,city,size,extra");
        for (int r = 0; r < rows; r++)
        {
            string size = random.NextDouble() < 0.05 ? "" : (random.NextDouble() * 100).ToString("F2", System.Globalization.CultureInfo.InvariantCulture);
            string city = random.NextDouble() < 0.05 ? "NA" : cities[(int)(random.NextDouble() * cities.Length)];
            string score = r == badRow ? badRowText! : random.NextGaussian().ToString("R", System.Globalization.CultureInfo.InvariantCulture);
            writer.WriteLine($"{score},{(random.NextDouble() < 0.5 ? "yes" : "no")},{city},{size},x{r}");
        }
        return path;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(250)]
    [InlineData(1000)]
    [InlineData(5000)]
    public void ChunksHoldTheWholeTablesRowsInOrder(int rowsPerChunk)
    {
        string path = WriteCsv(1000);
        Table whole = CsvData.ReadTable(path, ModelReading);
        Table[] chunks = CsvData.ReadTableChunks(DataSource.Open(path), ModelReading, rowsPerChunk).ToArray();
        Assert.Equal((1000 + rowsPerChunk - 1) / rowsPerChunk, chunks.Length);
        Assert.All(chunks, c => Assert.InRange(c.RowCount, 1, rowsPerChunk));
        Assert.Equal(whole.Columns.Select(c => (c.Name, c.Kind)), chunks[0].Columns.Select(c => (c.Name, c.Kind)));
        Assert.Equal(whole.Column("size")!.Numbers, chunks.SelectMany(c => c.Column("size")!.Numbers));
        Assert.Equal(whole.Column("score")!.Numbers, chunks.SelectMany(c => c.Column("score")!.Numbers));
        Assert.Equal(whole.Column("city")!.Categories.AsEnumerable(), chunks.SelectMany(c => c.Column("city")!.Categories.AsEnumerable()));
        Assert.Equal(whole.Labels!, chunks.SelectMany(c => c.Labels!));
        Assert.All(chunks, c => Assert.Equal(["no", "yes"], c.ClassNames));
    }

    [Fact]
    public void AnErrorInALaterChunkIsTheWholeReadersError()
    {
        string path = WriteCsv(1000, "abc", 876);
        string whole = Assert.Throws<DataFormatException>(() => CsvData.ReadTable(path, ModelReading)).Message;
        var read = new List<Table>();
        string chunked = Assert.Throws<DataFormatException>(() => read.AddRange(CsvData.ReadTableChunks(DataSource.Open(path), ModelReading, 100))).Message;
        Assert.Equal(whole, chunked);
        Assert.Contains("line 878", chunked);   // the header is line 1, so row 876 (from 0) is line 878
        Assert.Equal(8, read.Count);   // the chunks before the bad row were handed out first
    }

    [Fact]
    public void AFileWithoutRowsIsRefusedAsByTheWholeReader()
    {
        string path = WriteCsv(0);
        string whole = Assert.Throws<DataFormatException>(() => CsvData.ReadTable(path, ModelReading)).Message;
        Assert.Equal(whole, Assert.Throws<DataFormatException>(() => CsvData.ReadTableChunks(DataSource.Open(path), ModelReading, 10).ToArray()).Message);
    }

    [Fact]
    public void ChunksNeedTheModelsKindsAndClasses()
    {
        string path = WriteCsv(10);
        Assert.Throws<InvalidOperationException>(() => CsvData.ReadTableChunks(DataSource.Open(path), new CsvOptions(), 4).ToArray());
    }
}
