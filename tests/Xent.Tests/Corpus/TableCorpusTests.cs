using Xent.Data;

namespace Xent.Tests.Corpus;

/// <summary>Every line of bad-tables.txt through the library's CSV reader: a DataFormatException with one line naming the file.</summary>
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
        var csv = new CsvOptions();
        bool table = false;
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
            table |= option == "table";
        }
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
}
