using System.Globalization;
using System.Text.Json;
using Parquet.Schema;
using Xent.Cli.Tests.Corpus;

namespace Xent.Cli.Tests.Sources;

/// <summary>
/// xent train with a --memory-limit far below the data: streamed through a row cache, as accurate as in memory,
/// byte-identical on repeat, and every bad shard (CSV or Parquet) one line naming it, with no cache left behind.
/// </summary>
public sealed class StreamingTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("xent-streaming-").FullName;
    private readonly string _cache;

    public StreamingTests() => _cache = Directory.CreateDirectory(Path.Combine(_folder, "cache")).FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string PathOf(string name) => Path.Combine(_folder, name);

    private string WriteCsv(string name, int rows, int from = 0)
    {
        using var w = new StreamWriter(PathOf(name));
        w.WriteLine("a,b,label");
        for (int i = from; i < from + rows; i++)
        {
            double a = Math.Sin(i * 0.37) * 3, b = Math.Cos(i * 0.11) * 2;
            w.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{a:F4},{b:F4},{(a + b > 0.5 ? "hi" : a > 0 ? "mid" : "lo")}"));
        }
        return PathOf(name);
    }

    // 100 bytes: every data set here needs more, so every run streams.
    private string[] Streamed(string data, params string[] more) => InMemory(data, ["--memory-limit", "100", .. more]);

    private string[] InMemory(string data, params string[] more) =>
        ["train", "--data", data, "--epochs", "12", "--hidden", "8", "--seed", "3", "--batch-size", "16", "--cache-dir", _cache, "--json", .. more];

    private void AssertNoCache() => Assert.Empty(Directory.EnumerateFileSystemEntries(_cache));

    [Theory]
    [InlineData("lots")]
    [InlineData("12XB")]
    [InlineData("-5MB")]
    [InlineData("0")]
    [InlineData("1,5GB")]
    [InlineData("")]
    public void AMemoryLimitThatIsNotASizeIsOneLineNamingTheOption(string limit)
    {
        CliRunner.Result r = CliRunner.Run("train", "--memory-limit", limit, "--epochs", "1");
        CliRunner.AssertOneLineError(r, "--memory-limit");
    }

    [Theory]
    [InlineData("512MB", 512L << 20)]
    [InlineData("4GB", 4L << 30)]
    [InlineData("4gib", 4L << 30)]
    [InlineData("1.5G", 3L << 29)]
    [InlineData("100000", 100000)]
    [InlineData("64K", 64 << 10)]
    public void SizesAreBytesOrPowersOf1024(string text, long bytes) => Assert.Equal(bytes, Commands.TrainCommand.ParseSize(text, "--memory-limit"));

    [Fact]
    public void AStreamedRunSaysSoIsAsAccurateAsInMemoryAndRepeatsByteForByte()
    {
        string data = WriteCsv("d.csv", 900);
        CliRunner.Result first = CliRunner.Run(Streamed(data));
        Assert.True(first.ExitCode == 0, first.Error);
        AssertNoCache();
        CliRunner.Result second = CliRunner.Run(Streamed(data));
        Assert.Equal(first.Output, second.Output);
        CliRunner.Result memory = CliRunner.Run(InMemory(data, "--memory-limit", "1GB"));
        Assert.True(memory.ExitCode == 0, memory.Error);
        using var s = JsonDocument.Parse(first.Output);
        using var m = JsonDocument.Parse(memory.Output);
        Assert.True(s.RootElement.GetProperty("streamed").GetBoolean());
        Assert.False(m.RootElement.GetProperty("streamed").GetBoolean());
        Assert.Equal(900, s.RootElement.GetProperty("rows").GetInt32());
        Assert.Equal(m.RootElement.GetProperty("classes").ToString(), s.RootElement.GetProperty("classes").ToString());
        Assert.Equal(m.RootElement.GetProperty("columns").ToString(), s.RootElement.GetProperty("columns").ToString());
        double streamedAccuracy = s.RootElement.GetProperty("validationAccuracy").GetDouble();
        double memoryAccuracy = m.RootElement.GetProperty("validationAccuracy").GetDouble();
        Assert.InRange(streamedAccuracy, memoryAccuracy - 0.06, memoryAccuracy + 0.06);
    }

    [Fact]
    public void ASeparateValidationFileIsStreamedTooAndCountedAsInMemory()
    {
        string data = WriteCsv("d.csv", 600);
        string validation = WriteCsv("v.csv", 200, from: 5000);
        CliRunner.Result streamed = CliRunner.Run(Streamed(data, "--validation-data", validation));
        CliRunner.Result memory = CliRunner.Run(InMemory(data, "--validation-data", validation, "--memory-limit", "1GB"));
        Assert.True(streamed.ExitCode == 0, streamed.Error);
        Assert.True(memory.ExitCode == 0, memory.Error);
        using var s = JsonDocument.Parse(streamed.Output);
        using var m = JsonDocument.Parse(memory.Output);
        Assert.True(s.RootElement.GetProperty("streamed").GetBoolean());
        Assert.Equal(m.RootElement.GetProperty("rows").GetInt32(), s.RootElement.GetProperty("rows").GetInt32());
        double memoryAccuracy = m.RootElement.GetProperty("validationAccuracy").GetDouble();
        Assert.InRange(s.RootElement.GetProperty("validationAccuracy").GetDouble(), memoryAccuracy - 0.06, memoryAccuracy + 0.06);
        AssertNoCache();
    }

    [Fact]
    public void AKeptCacheStaysAndIsReused()
    {
        string data = WriteCsv("d.csv", 300);
        CliRunner.Result first = CliRunner.Run(Streamed(data, "--keep-cache"));
        Assert.True(first.ExitCode == 0, first.Error);
        Assert.Single(Directory.GetDirectories(_cache));
        CliRunner.Result again = CliRunner.Run(Streamed(data, "--keep-cache"));
        Assert.Equal(first.Output, again.Output);
        Assert.Single(Directory.GetDirectories(_cache));
    }

    // A table with a text column, a column that turns to text late, and empty or NA cells: about 560 KB (1.7 MB in memory by the estimate), so 1MB streams it.
    private string WriteMixedCsv(string name, int rows)
    {
        using var w = new StreamWriter(PathOf(name));
        w.WriteLine("a,city,code,b,label");
        string[] cities = ["Lyon", "Oslo", "Porto", "Graz", "Turku", "Split", "Cork"];
        for (int i = 0; i < rows; i++)
        {
            double a = Math.Sin(i * 0.37) * 3, b = Math.Cos(i * 0.11) * 2;
            string city = i % 19 == 4 ? "" : cities[(i * 7 + i / 3) % cities.Length];
            string code = i < rows - 50 ? (i % 4).ToString(CultureInfo.InvariantCulture) : "x" + (i % 3).ToString(CultureInfo.InvariantCulture);
            string aText = i % 13 == 2 ? (i % 2 == 0 ? "" : "NA") : a.ToString("F4", CultureInfo.InvariantCulture);
            string label = a + b + (city == "Oslo" ? 1 : 0) > 0.5 ? "hi" : a > 0 ? "mid" : "lo";
            w.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{aText},{city},{code},{b:F4},{label}"));
        }
        return PathOf(name);
    }

    [Fact]
    public void ATableWithTextAndEmptyCellsStreamsToTheInMemoryModelsEncoding()
    {
        string data = WriteMixedCsv("mixed.csv", 20000);
        string streamedModel = PathOf("s.safetensors"), memoryModel = PathOf("m.safetensors");
        CliRunner.Result streamed = CliRunner.Run(InMemory(data, "--memory-limit", "1MB", "--out", streamedModel));
        Assert.True(streamed.ExitCode == 0, streamed.Error);
        AssertNoCache();
        CliRunner.Result memory = CliRunner.Run(InMemory(data, "--memory-limit", "1GB", "--out", memoryModel));
        Assert.True(memory.ExitCode == 0, memory.Error);
        using var s = JsonDocument.Parse(streamed.Output);
        using var m = JsonDocument.Parse(memory.Output);
        Assert.True(s.RootElement.GetProperty("streamed").GetBoolean(), streamed.Output);
        Assert.False(m.RootElement.GetProperty("streamed").GetBoolean());
        Assert.Equal(m.RootElement.GetProperty("rows").GetInt32(), s.RootElement.GetProperty("rows").GetInt32());
        Assert.Equal(m.RootElement.GetProperty("classes").ToString(), s.RootElement.GetProperty("classes").ToString());
        // The column report: kinds, categories and missing counts alike.
        Assert.Equal(m.RootElement.GetProperty("columns").ToString(), s.RootElement.GetProperty("columns").ToString());
        Assert.Contains("\"categorical\"", s.RootElement.GetProperty("columns").ToString());

        // The saved models encode and standardise alike, bit for bit; the batches differ, so the weights do not.
        Classifier sm = Classifier.Load(streamedModel), mm = Classifier.Load(memoryModel);
        Assert.Equal(mm.Encoder.FeatureNames, sm.Encoder.FeatureNames);
        Assert.Equal(mm.Encoder.Columns.Select(c => (c.Name, c.Kind, c.Fill, c.MissingIndicator, string.Join('|', c.Categories), c.MissingCategory)),
            sm.Encoder.Columns.Select(c => (c.Name, c.Kind, c.Fill, c.MissingIndicator, string.Join('|', c.Categories), c.MissingCategory)));
        Assert.Equal(mm.Standardizer!.Mean, sm.Standardizer!.Mean);
        Assert.Equal(mm.Standardizer.Deviation, sm.Standardizer.Deviation);
        double memoryAccuracy = m.RootElement.GetProperty("validationAccuracy").GetDouble();
        Assert.InRange(s.RootElement.GetProperty("validationAccuracy").GetDouble(), memoryAccuracy - 0.06, memoryAccuracy + 0.06);
    }

    [Fact]
    public void CategoricalOptionsAreTakenUnderStreaming()
    {
        string data = WriteCsv("d.csv", 300);
        CliRunner.Result r = CliRunner.Run(Streamed(data, "--categorical", "a"));
        Assert.True(r.ExitCode == 0, r.Error);
        using var s = JsonDocument.Parse(r.Output);
        Assert.True(s.RootElement.GetProperty("streamed").GetBoolean());
        Assert.Contains("\"categorical\"", s.RootElement.GetProperty("columns").ToString());
        AssertNoCache();
    }

    [Fact]
    public void AShardWithoutOneOfTheClassesIsFine()
    {
        Directory.CreateDirectory(PathOf("shards"));
        File.WriteAllText(PathOf("shards/part-1.csv"), File.ReadAllText(WriteCsv("x.csv", 200)));
        File.WriteAllText(PathOf("shards/part-2.csv"), "a,b,label\n" + string.Concat(Enumerable.Range(0, 50).Select(i => $"{i % 7}.5,1,hi\n")));
        CliRunner.Result r = CliRunner.Run(Streamed(PathOf("shards")));
        Assert.True(r.ExitCode == 0, r.Error);
        AssertNoCache();
    }

    public static TheoryData<string> BadSources() => ["parquet null", "parquet NaN", "parquet text in a numeric column", "parquet null label", "csv shard new column",
        "parquet shard lacks a column", "csv shard bad number", "csv shard missing value", "parquet shard null"];

    [Theory]
    [MemberData(nameof(BadSources))]
    public void EveryBadShardIsOneLineNamingItAndLeavesNoCache(string which)
    {
        var a = new DataField<double?>("a");
        var b = new DataField<double?>("b");
        var label = new DataField<string>("label");
        string?[] labels = Enumerable.Range(0, 40).Select(i => i % 2 == 0 ? "x" : "y").ToArray();
        double?[] numbers = Enumerable.Range(0, 40).Select(i => (double?)i).ToArray();
        double?[] with(int at, double? value) { double?[] copy = numbers.ToArray(); copy[at] = value; return copy; }
        Directory.CreateDirectory(PathOf("s"));
        void csvShards(string second)
        {
            File.WriteAllText(PathOf("s/part-1.csv"), "a,b,label\n" + string.Concat(Enumerable.Range(0, 40).Select(i => $"{i},{i % 3},{labels[i]}\n")));
            File.WriteAllText(PathOf("s/part-2.csv"), second);
        }
        // Missing values and text are taken as a table takes them; under --missing error and --numeric they are refused.
        string[] missingError = ["--missing", "error"];
        (string data, string shard, string message, string[] more) = which switch
        {
            "parquet null" => Write("p.parquet", () => ParquetFixtures.Write(PathOf("p.parquet"), (a, with(7, null)), (b, numbers), (label, labels)), "p.parquet, row group 1, row 8, column 'a': missing value", missingError),
            "parquet NaN" => Write("p.parquet", () => ParquetFixtures.Write(PathOf("p.parquet"), (a, numbers), (b, with(3, double.NaN)), (label, labels)), "p.parquet, row group 1, row 4, column 'b': 'NaN' is not a finite number", missingError),
            "parquet text in a numeric column" => Write("p.parquet", () => ParquetFixtures.Write(PathOf("p.parquet"), (new DataField<string>("a"), labels), (b, numbers), (label, labels)), "p.parquet, row group 1, row 1, column 'a': 'x' is not a number; --numeric names 'a'", ["--numeric", "a"]),
            "parquet null label" => Write("p.parquet", () => ParquetFixtures.Write(PathOf("p.parquet"), (a, numbers), (b, numbers), (label, labels.Select((l, i) => i == 5 ? null : l).ToArray())), "p.parquet, row group 1, row 6, column 'label': the label is missing"),
            "csv shard new column" => Write("s", () => csvShards("a,b,z,label\n1,2,3,x\n"), "part-2.csv, line 1: the column 'z' is not in the first shard part-1.csv"),
            "csv shard bad number" => Write("s", () => csvShards("a,b,label\n1,2,x\n1,2..5,y\n"), "part-2.csv, line 3, column 'b': '2..5' is not a number", ["--numeric", "b"]),
            "csv shard missing value" => Write("s", () => csvShards("a,b,label\n1,2,x\n1,,y\n"), "part-2.csv, line 3, column 'b': missing value", missingError),
            "parquet shard lacks a column" => Write("s", () =>
            {
                ParquetFixtures.Write(PathOf("s/part-1.parquet"), (a, numbers), (b, numbers), (label, labels));
                ParquetFixtures.Write(PathOf("s/part-2.parquet"), (a, numbers), (label, labels));
            }, "part-2.parquet: the shard has no column 'b'"),
            "parquet shard null" => Write("s", () =>
            {
                ParquetFixtures.Write(PathOf("s/part-1.parquet"), (a, numbers), (b, numbers), (label, labels));
                ParquetFixtures.Write(PathOf("s/part-2.parquet"), (a, numbers), (b, with(39, null)), (label, labels));
            }, "part-2.parquet, row group 1, row 40, column 'b': missing value", missingError),
            _ => throw new ArgumentException(which),
        };
        CliRunner.Result r = CliRunner.Run(Streamed(data, more));
        CliRunner.AssertOneLineError(r, message);
        Assert.Contains(shard, r.Error);
        AssertNoCache();
    }

    private (string Data, string Shard, string Message, string[] More) Write(string data, Action write, string message, string[]? more = null)
    {
        write();
        return (PathOf(data), message.Split(',', ':')[0], message, more ?? []);
    }
}
