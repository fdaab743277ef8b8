using System.Text.RegularExpressions;
using Parquet.Schema;
using Xent.Cli.Tests.EndToEnd;

namespace Xent.Cli.Tests.Corpus;

/// <summary>The fixture files and folders that bad-inputs.txt names, made once in a fresh folder.</summary>
public sealed class CorpusFixture : IDisposable
{
    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("xent-corpus-").FullName;

    public string PathOf(string name) => Path.Combine(Directory, name);

    public CorpusFixture()
    {
        void Write(string name, string text) => File.WriteAllText(PathOf(name), text);
        const string good = "a,b,label\n1,2,x\n3,4,y\n5,6,x\n7,8,y\n9,10,x\n11,12,y\n";
        Write("good.csv", good);
        Write("empty.csv", "");
        Write("header-only.csv", "a,b,label\n");
        Write("ragged.csv", "a,b,label\n1,2,x\n3,y\n");
        Write("text.csv", "a,b,label\nhello,2,x\n3,4,y\n");
        Write("nan.csv", "a,b,label\n1,2,x\n3,NaN,y\n");
        Write("inf.csv", "a,b,label\n-Infinity,2,x\n3,4,y\n");
        Write("missing-value.csv", "a,b,label\n1,,x\n3,4,y\n");
        Write("one-class.csv", "a,b,label\n1,2,x\n3,4,x\n");
        Write("european.csv", "a;b;label\n1,5;2;x\n3;4;y\n");
        Write("thousands.csv", "a,b,label\n1,2,x\n3,\"1,000\",y\n");
        Write("no-label.csv", "a,b,label\n1,2,x\n3,4,\n");
        Write("all-unlabelled.csv", "a,b,label\n1,2,\n3,4,NaN\n");
        Write("nan-label.csv", "a,b,label\n1,2,NaN\n3,4,y\n");
        Write("duplicate-header.csv", "a,a,label\n1,2,x\n");
        Write("blank-header.csv", "a,,label\n1,2,x\n");
        Write("bad-quotes.csv", "a,b,label\n1,\"2\"x,x\n3,4,y\n");
        Write("wrong-columns.csv", "c,d,label\n1,2,x\n");
        Write("unknown-class.csv", "a,b,label\n1,2,zebra\n");
        Write("two-extra.csv", "a,b,label,other\n1,2,x,q\n");
        Write("wide.csv", "a,b,label\n" + string.Concat(Enumerable.Range(0, 10_000).Select(i => $"{i % 7},{i % 5},{(i % 2 == 0 ? "x" : "y")}\n")));
        Write("existing.safetensors", "the user's file");
        Write("existing.csv", "the user's file");
        Write("existing.onnx", "the user's file");
        File.CreateSymbolicLink(PathOf("link.safetensors"), PathOf("existing.safetensors"));
        System.IO.Directory.CreateDirectory(PathOf("folder"));
        System.IO.Directory.CreateDirectory(PathOf("plots"));
        Write(Path.Combine("plots", "loss.png"), "an old plot");
        System.IO.Directory.CreateDirectory(PathOf("explain-plots"));
        Write(Path.Combine("explain-plots", "cross-entropy-vs-squared-residual.png"), "an old plot");
        File.WriteAllBytes(PathOf("corrupt.safetensors"), [1, 2, 3]);
        File.WriteAllBytes(PathOf("hostile.safetensors"), [255, 255, 255, 255, 255, 255, 0, 0, (byte)'{', (byte)'}']);
        File.WriteAllBytes(PathOf("not-a-model.safetensors"), [5, 0, 0, 0, 0, 0, 0, 0, (byte)'h', (byte)'e', (byte)'l', (byte)'l', (byte)'o']);

        MakeShards();

        XentProcess.Result model = XentProcess.Run(Directory, "train", "--data", "good.csv", "--out", "model.safetensors", "--epochs", "2", "--validation", "0", "--json");
        Assert.True(model.ExitCode == 0, model.ToString());
        XentProcess.Result checkpoint = XentProcess.Run(Directory, "train", "--data", "good.csv", "--checkpoint-dir", "ckpt", "--checkpoint-every", "1", "--epochs", "2", "--validation", "0", "--json");
        Assert.True(checkpoint.ExitCode == 0, checkpoint.ToString());
        byte[] bytes = File.ReadAllBytes(PathOf("model.safetensors"));
        File.WriteAllBytes(PathOf("truncated.safetensors"), bytes[..(bytes.Length / 2)]);
        System.IO.Directory.CreateDirectory(PathOf("fake-ckpt"));
        File.Copy(PathOf("model.safetensors"), Path.Combine(PathOf("fake-ckpt"), "checkpoint.safetensors"));
    }

    // Parquet files and folders of shards, each with one fault (or none, for good.parquet and the good shards).
    private void MakeShards()
    {
        DataField a = new DataField<double?>("a"), b = new DataField<int?>("b"), label = new DataField<string>("label");
        double?[] goodA = [1, 3, 5, 7, 9, 11];
        int?[] goodB = [2, 4, 6, 8, 10, 12];
        string[] goodLabels = ["x", "y", "x", "y", "x", "y"];
        ParquetFixtures.Write(PathOf("good.parquet"), (a, goodA), (b, goodB), (label, goodLabels));
        ParquetFixtures.Write(PathOf("null.parquet"), (a, goodA), (b, new int?[] { 2, null, 6, 8, 10, 12 }), (label, goodLabels));
        ParquetFixtures.Write(PathOf("nan.parquet"), (a, new double?[] { 1, double.NaN, 5, 7, 9, 11 }), (b, goodB), (label, goodLabels));
        ParquetFixtures.Write(PathOf("null-label.parquet"), (a, goodA), (b, goodB), (label, new string?[] { "x", "y", null, "y", "x", "y" }));
        File.WriteAllBytes(PathOf("corrupt.parquet"), "PAR1 this is not a Parquet file PAR1"u8.ToArray());

        System.IO.Directory.CreateDirectory(PathOf("schema-shards"));
        ParquetFixtures.Write(PathOf("schema-shards/part-1.parquet"), (a, goodA), (b, goodB), (label, goodLabels));
        ParquetFixtures.Write(PathOf("schema-shards/part-2.parquet"), (a, goodA), (label, goodLabels));
        System.IO.Directory.CreateDirectory(PathOf("new-column-shards"));
        File.WriteAllText(PathOf("new-column-shards/part-1.csv"), "a,b,label\n1,2,x\n3,4,y\n");
        File.WriteAllText(PathOf("new-column-shards/part-2.csv"), "a,b,c,label\n1,2,0,x\n3,4,0,y\n");
        System.IO.Directory.CreateDirectory(PathOf("nan-shards"));
        File.WriteAllText(PathOf("nan-shards/part-1.csv"), "a,b,label\n1,2,x\n3,4,y\n");
        File.WriteAllText(PathOf("nan-shards/part-2.csv"), "a,b,label\n1,2,x\n3,NaN,y\n");
    }

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
}

/// <summary>
/// Every line of bad-inputs.txt, run through the built xent as a child process: one line on stderr matching the
/// pattern, the expected exit code, no stack trace or internal error, and the folder exactly as it was.
/// </summary>
public sealed class CorpusTests(CorpusFixture fixture) : IClassFixture<CorpusFixture>
{
    public static TheoryData<int, string, string> Cases()
    {
        var cases = new TheoryData<int, string, string>();
        foreach (string line in File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "Corpus", "bad-inputs.txt")))
        {
            if (line.Length == 0 || line.StartsWith('#')) continue;
            string[] parts = line.Split(" | ", 3);
            cases.Add(int.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture), parts[1], parts[2]);
        }
        return cases;
    }

    [Fact]
    public void TheCorpusHasAtLeastEightyCases() => Assert.True(Cases().Count >= 80, $"{Cases().Count} cases");

    [Theory]
    [MemberData(nameof(Cases))]
    public void BadInputGetsOneClearLineAndChangesNothing(int exitCode, string pattern, string commandLine)
    {
        string[] args = commandLine.Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(a => a == "''" ? "" : Regex.Replace(a, @"\{([^}]+)\}", m => fixture.PathOf(m.Groups[1].Value))).ToArray();
        string[] before = XentProcess.Listing(fixture.Directory);
        XentProcess.Result r = XentProcess.Run(fixture.Directory, args);
        XentProcess.AssertCleanError(r);
        Assert.True(r.ExitCode == exitCode, $"expected exit {exitCode}: {r}");
        string[] lines = r.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, $"expected one line on stderr: {r}");
        Assert.Matches(pattern, lines[0]);
        Assert.Equal(before, XentProcess.Listing(fixture.Directory));
    }
}
