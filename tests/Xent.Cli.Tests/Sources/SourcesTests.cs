using System.Text.Json;
using Parquet.Schema;
using Xent.Cli.Tests.Corpus;

namespace Xent.Cli.Tests.Sources;

/// <summary>
/// --data as a Parquet file, a folder of shards or a glob: the same rows as one CSV file give the same run, byte for byte
/// in --json.
/// </summary>
public sealed class SourcesTests() : TemporaryFolderTests("xent-sources-")
{
    // 60 rows, two numeric features and a string label with three classes.
    private static (double[] A, int[] B, string[] Labels) Rows()
    {
        var a = new double[60];
        var b = new int[60];
        var labels = new string[60];
        for (int i = 0; i < 60; i++)
        {
            a[i] = Math.Round(Math.Sin(i * 0.7) * 3 + i % 3, 3);
            b[i] = (i * 7) % 11;
            labels[i] = ((i + (i % 5 == 0 ? 1 : 0)) % 3) switch { 0 => "cat", 1 => "dog", _ => "emu" };
        }
        return (a, b, labels);
    }

    private static string Csv(double[] a, int[] b, string[] labels, int from, int to) =>
        "a,b,label\n" + string.Concat(Enumerable.Range(from, to - from).Select(i => $"{a[i].ToString("R", System.Globalization.CultureInfo.InvariantCulture)},{b[i]},{labels[i]}\n"));

    private static string[] Train(string data) =>
        ["train", "--data", data, "--epochs", "5", "--hidden", "4", "--json"];

    private static string Comparable(CliRunner.Result r)
    {
        Assert.True(r.ExitCode == 0, r.Error);
        return r.Output;
    }

    [Fact]
    public void ParquetShardsAndGlobsTrainLikeOneCsvFile()
    {
        (double[] a, int[] b, string[] labels) = Rows();
        File.WriteAllText(PathOf("all.csv"), Csv(a, b, labels, 0, 60));
        DataField fa = new DataField<double>("a"), fb = new DataField<int>("b"), fl = new DataField<string>("label");
        ParquetFixtures.Write(PathOf("all.parquet"), (fa, a), (fb, b), (fl, labels));
        // Two row groups in one file.
        ParquetFixtures.WriteGroups(PathOf("groups.parquet"), [
            [(fa, a[..25]), (fb, b[..25]), (fl, labels[..25])],
            [(fa, a[25..]), (fb, b[25..]), (fl, labels[25..])]]);
        // Shards: CSV with the columns in another order in the second, Parquet for the third.
        Directory.CreateDirectory(PathOf("shards"));
        File.WriteAllText(PathOf("shards/part-1.csv"), Csv(a, b, labels, 0, 20));
        File.WriteAllText(PathOf("shards/part-2.csv"), "label,b,a\n" + string.Concat(Enumerable.Range(20, 20).Select(i => $"{labels[i]},{b[i]},{a[i].ToString("R", System.Globalization.CultureInfo.InvariantCulture)}\n")));
        ParquetFixtures.Write(PathOf("shards/part-3.parquet"), (fa, a[40..]), (fb, b[40..]), (fl, labels[40..]));
        File.WriteAllText(PathOf("shards/notes.txt"), "not a shard");

        string expected = Comparable(CliRunner.Run(Train(PathOf("all.csv"))));
        Assert.Equal(expected, Comparable(CliRunner.Run(Train(PathOf("all.parquet")))));
        Assert.Equal(expected, Comparable(CliRunner.Run(Train(PathOf("groups.parquet")))));
        Assert.Equal(expected, Comparable(CliRunner.Run(Train(PathOf("shards")))));
        Assert.Equal(expected, Comparable(CliRunner.Run(Train(PathOf("shards/part-*")))));
    }

    [Fact]
    public void AClassMissingFromOneShardIsFine()
    {
        Directory.CreateDirectory(PathOf("shards"));
        File.WriteAllText(PathOf("shards/a.csv"), "a,b,label\n1,2,x\n3,4,x\n5,6,x\n");
        File.WriteAllText(PathOf("shards/b.csv"), "a,b,label\n1,2,y\n3,4,y\n5,6,x\n");
        CliRunner.Result r = CliRunner.Run("train", "--data", PathOf("shards"), "--epochs", "2", "--validation", "0", "--json");
        Assert.True(r.ExitCode == 0, r.Error);
        using var json = JsonDocument.Parse(r.Output);
        Assert.Equal(["x", "y"], json.RootElement.GetProperty("classes").EnumerateArray().Select(e => e.GetString()!).ToArray());
    }

    [Fact]
    public void ParquetIntegerLabelsAndNullsAsMissingValues()
    {
        DataField fa = new DataField<float?>("a"), fb = new DataField<long>("b"), fl = new DataField<int>("label");
        ParquetFixtures.Write(PathOf("t.parquet"), (fa, new float?[] { 1, null, 3, 4, 5, 6 }), (fb, new long[] { 1, 2, 3, 4, 5, 6 }), (fl, new[] { 10, 2, 10, 2, 10, 2 }));
        CliRunner.Result r = CliRunner.Run("train", "--data", PathOf("t.parquet"), "--epochs", "2", "--validation", "0", "--json");
        Assert.True(r.ExitCode == 0, r.Error);
        using var json = JsonDocument.Parse(r.Output);
        Assert.Equal(["2", "10"], json.RootElement.GetProperty("classes").EnumerateArray().Select(e => e.GetString()!).ToArray());
        CliRunner.AssertOneLineError(CliRunner.Run("train", "--data", PathOf("t.parquet"), "--missing", "error"), "t.parquet, row group 1, row 2, column 'a': missing value");
    }

    [Fact]
    public void JsonReportsRowsStreamedAndPeakMemoryBesideTheTime()
    {
        File.WriteAllText(PathOf("t.csv"), "a,b,label\n1,2,x\n3,4,y\n5,6,x\n7,8,y\n9,1,x\n");
        CliRunner.Result r = CliRunner.Run("train", "--data", PathOf("t.csv"), "--epochs", "2", "--json");
        Assert.True(r.ExitCode == 0, r.Error);
        using (var json = JsonDocument.Parse(r.Output))
        {
            Assert.Equal(5, json.RootElement.GetProperty("rows").GetInt32());
            Assert.False(json.RootElement.GetProperty("streamed").GetBoolean());
            Assert.False(json.RootElement.TryGetProperty("peakMemoryBytes", out _));
        }
        r = CliRunner.Run("train", "--data", PathOf("t.csv"), "--epochs", "2", "--json", "--report-time");
        using (var json = JsonDocument.Parse(r.Output))
            Assert.True(json.RootElement.GetProperty("peakMemoryBytes").GetInt64() > 1 << 20);
    }
}
