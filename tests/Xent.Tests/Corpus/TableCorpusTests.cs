using Xent.Data;

namespace Xent.Tests.Corpus;

/// <summary>
/// Every line of bad-tables.txt through the library's CSV reader, and through the streaming pass too: a
/// DataFormatException with one line naming the file, the same line as the table reader's.
/// </summary>
public class TableCorpusTests
{
    public static TheoryData<string, string, string> Cases()
    {
        var cases = new TheoryData<string, string, string>();
        foreach (string line in File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "Corpus", "bad-tables.txt")))
        {
            if (line.Length == 0 || line.StartsWith('#')) continue;
            string[] parts = line.Split(" | ", 3);
            cases.Add(parts[0], parts[1] == "-" ? "" : parts[1], parts[2] == "(empty)" ? "" : parts[2]);
        }
        return cases;
    }

    [Fact]
    public void TheCorpusHasManyCases() => Assert.True(Cases().Count >= 30);

    [Theory]
    [MemberData(nameof(Cases))]
    public void BadTableIsRefusedWithOneLineNamingTheFile(string pattern, string options, string content)
    {
        CsvOptions csv = ReadingOptions(options);
        bool table = options.Split(", ").Contains("table");
        // "table" reads through CsvData.ReadTable (inference, categories, missing values); otherwise the numeric reader.
        Func<TextReader, object> fromText = table ? r => CsvData.ReadTable(r, "t.csv", csv) : r => CsvData.Read(r, "t.csv", csv);
        Func<string, object> fromFile = table ? p => CsvData.ReadTable(p, csv) : p => CsvData.Read(p, csv);
        string text = content.Replace("\\n", "\n");
        var e = Assert.Throws<DataFormatException>(() => fromText(new StringReader(text)));
        Assert.DoesNotContain('\n', e.Message);
        Assert.Matches(pattern, e.Message);

        // The same table from a file on disk gives the same message (the file reader and the text reader share every check).
        string path = Path.Combine(Path.GetTempPath(), $"xent-table-{Guid.NewGuid():N}", "t.csv");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        try
        {
            File.WriteAllText(path, text);
            Assert.Equal(e.Message, Assert.Throws<DataFormatException>(() => fromFile(path)).Message);
        }
        finally { Directory.Delete(Path.GetDirectoryName(path)!, recursive: true); }
    }

    // Every line through the streaming pass too, which reads a table as CsvData.ReadTable does (inferred kinds, categories,
    // missing values); a stream takes no model's columns or classes, so the lines with those options are left out.
    public static TheoryData<string, string, string> StreamedCases()
    {
        var cases = new TheoryData<string, string, string>();
        foreach (object[] row in Cases())
        {
            string options = (string)row[1];
            if (!options.Split(", ").Any(o => o is "optional" || o.StartsWith("features=") || o.StartsWith("classes=") || o.StartsWith("kinds=")))
                cases.Add((string)row[0], options, (string)row[2]);
        }
        return cases;
    }

    [Fact]
    public void TheStreamedCorpusHasManyCases() => Assert.True(StreamedCases().Count >= 40);

    // The lines the table reader refuses too (a text cell in a column without an option only makes it categorical).
    [Fact]
    public void MostStreamedLinesAreRefusedByTheTableReaderToo() =>
        Assert.True(StreamedCases().Count(row => TableReaderError((string)row[1], (string)row[2]) is not null) >= 25);

    private static string? TableReaderError(string options, string content)
    {
        try { CsvData.ReadTable(new StringReader(content.Replace("\\n", "\n")), "t.csv", ReadingOptions(options)); return null; }
        catch (DataFormatException e) { return e.Message; }
    }

    [Theory]
    [MemberData(nameof(StreamedCases))]
    public void AStreamRefusesWhatTheTableReaderRefusesWithTheSameLineAndLeavesNoCache(string pattern, string options, string content)
    {
        CsvOptions csv = ReadingOptions(options);
        string? expected = TableReaderError(options, content);
        // "table" lines name the table reader's message; the others name the numeric reader's, which the table reader may accept.
        if (options.Split(", ").Contains("table")) Assert.Matches(pattern, expected);
        string folder = Directory.CreateTempSubdirectory("xent-streamed-table-").FullName;
        try
        {
            string cache = Directory.CreateDirectory(Path.Combine(folder, "cache")).FullName;
            File.WriteAllText(Path.Combine(folder, "t.csv"), content.Replace("\\n", "\n"));
            var data = new StreamingData(DataSource.Open(Path.Combine(folder, "t.csv")), csv) { MemoryLimitBytes = 4096, CacheDirectory = cache };
            if (expected is null) StreamedRows.Prepare(data, null, 0, 1, CancellationToken.None).Dispose();
            else
            {
                var e = Assert.Throws<DataFormatException>(() => StreamedRows.Prepare(data, null, 0.2, 1, CancellationToken.None).Dispose());
                Assert.DoesNotContain('\n', e.Message);
                Assert.Equal(expected, e.Message);
            }
            Assert.Empty(Directory.EnumerateFileSystemEntries(cache));
        }
        finally { Directory.Delete(folder, recursive: true); }
    }

    /// <summary>A corpus line's options ("delimiter=;, label=y, table, …") as the reader's options.</summary>
    internal static CsvOptions ReadingOptions(string options)
    {
        var csv = new CsvOptions();
        foreach (string option in options.Split(", ", StringSplitOptions.RemoveEmptyEntries))
        {
            string[] kv = option.Split('=', 2);
            string[] list() => kv[1].Split(';');
            csv = kv[0] switch
            {
                "delimiter" => csv with { Delimiter = kv[1][0] },
                "label" => csv with { Label = kv[1] },
                "ignore" => csv with { Ignore = list() },
                "features" => csv with { FeatureNames = list() },
                "classes" => csv with { ClassNames = list() },
                "optional" => csv with { LabelRequired = false },
                "categorical" => csv with { Categorical = list() },
                "numeric" => csv with { Numeric = list() },
                "kinds" => csv with { FeatureKinds = list().Select(k => k == "numeric" ? ColumnKind.Numeric : ColumnKind.Categorical).ToArray() },
                "missing" => csv with { Missing = kv[1] == "error" ? MissingValues.Error : MissingValues.Impute },
                "drop" => csv with { DropUnlabelled = true },
                "table" => csv,
                _ => throw new InvalidOperationException($"unknown option {option}"),
            };
        }
        return csv;
    }
}
