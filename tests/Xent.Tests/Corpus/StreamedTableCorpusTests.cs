using Xent.Data;

namespace Xent.Tests.Corpus;

/// <summary>
/// The numeric reader's lines of bad-tables.txt through the streaming pass (a stream takes no model's columns or classes
/// and no inferred types, so the lines with those options are left out): the same one-line message, and no cache left.
/// </summary>
public class StreamedTableCorpusTests
{
    public static TheoryData<string, string, string> Cases()
    {
        var cases = new TheoryData<string, string, string>();
        foreach (object[] row in TableCorpusTests.Cases())
        {
            string options = (string)row[1];
            if (!options.Split(", ").Any(o => o is "table" or "optional" || o.StartsWith("features=") || o.StartsWith("classes=")))
                cases.Add((string)row[0], options, (string)row[2]);
        }
        return cases;
    }

    [Fact]
    public void TheStreamedCorpusHasManyCases() => Assert.True(Cases().Count >= 25);

    [Theory]
    [MemberData(nameof(Cases))]
    public void BadTableIsRefusedWithOneLineNamingTheFileAndNoCacheIsLeft(string pattern, string options, string content)
    {
        var csv = new CsvOptions();
        foreach (string option in options.Split(", ", StringSplitOptions.RemoveEmptyEntries))
        {
            string[] kv = option.Split('=', 2);
            csv = kv[0] switch
            {
                "delimiter" => csv with { Delimiter = kv[1][0] },
                "label" => csv with { Label = kv[1] },
                "ignore" => csv with { Ignore = kv[1].Split(';') },
                _ => throw new InvalidOperationException($"unknown option {option}"),
            };
        }
        string folder = Directory.CreateTempSubdirectory("xent-streamed-table-").FullName;
        try
        {
            string cache = Directory.CreateDirectory(Path.Combine(folder, "cache")).FullName;
            File.WriteAllText(Path.Combine(folder, "t.csv"), content.Replace("\\n", "\n"));
            var data = new StreamingData(DataSource.Open(Path.Combine(folder, "t.csv")), csv) { MemoryLimitBytes = 4096, CacheDirectory = cache };
            var e = Assert.Throws<DataFormatException>(() => StreamedRows.Prepare(data, null, 0.2, 1, CancellationToken.None).Dispose());
            Assert.DoesNotContain('\n', e.Message);
            Assert.Matches(pattern, e.Message);
            Assert.Empty(Directory.EnumerateFileSystemEntries(cache));
        }
        finally { Directory.Delete(folder, recursive: true); }
    }
}
