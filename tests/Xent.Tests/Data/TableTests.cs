using Xent.Data;

namespace Xent.Tests.Data;

public class TableTests
{
    private static Table Read(string text, CsvOptions? options = null) =>
        CsvData.ReadTable(new StringReader(text), "t.csv", options ?? new CsvOptions());

    private static string Error(string text, CsvOptions? options = null)
    {
        var e = Assert.Throws<DataFormatException>(() => Read(text, options));
        Assert.DoesNotContain('\n', e.Message);
        return e.Message;
    }

    [Fact]
    public void TypesAreInferredAndMissingValuesCounted()
    {
        Table t = Read("age,country,code,label\n30,FR,1,x\n,DE,2,y\nNA, FR ,3,x\n41.5,,4,y\nNaN,N/A,5,x\n");
        Assert.Equal([ColumnKind.Numeric, ColumnKind.Categorical, ColumnKind.Numeric], t.Columns.Select(c => c.Kind));
        Assert.Equal(3, t.Column("age")!.MissingCount);
        Assert.True(float.IsNaN(t.Column("age")!.Numbers[1]));
        Assert.Equal(41.5f, t.Column("age")!.Numbers[3]);
        Assert.Equal(new string?[] { "FR", "DE", "FR", null, null }, t.Column("country")!.Categories.AsEnumerable());   // trimmed; empty and N/A are missing
        Assert.Equal(2, t.Column("country")!.DistinctCount);
        Assert.Equal(2, t.Column("country")!.MissingCount);
    }

    [Fact]
    public void OverridesFixTheTypeAndKeepCodesExactly()
    {
        Table t = Read("postcode,country,label\n01,1,x\n1,2,y\n75001,3,x\n", new CsvOptions { Categorical = ["postcode"], Numeric = ["country"] });
        Assert.Equal(ColumnKind.Categorical, t.Column("postcode")!.Kind);
        Assert.Equal(new string?[] { "01", "1", "75001" }, t.Column("postcode")!.Categories.AsEnumerable());
        Assert.Equal(ColumnKind.Numeric, t.Column("country")!.Kind);
    }

    [Theory]
    [InlineData("numeric=a", "t.csv, line 3, column 'a': 'FR' is not a number; CsvOptions.Numeric names 'a'")]
    [InlineData("categorical=zz", "t.csv: CsvOptions.Categorical names the column 'zz', which is not in the header (a, b, label)")]
    [InlineData("numeric=zz", "t.csv: CsvOptions.Numeric names the column 'zz', which is not in the header")]
    [InlineData("categorical=label", "t.csv: CsvOptions.Categorical names 'label', the label column")]
    [InlineData("categorical=b, numeric=b", "t.csv: CsvOptions.Categorical and CsvOptions.Numeric both name the column 'b'")]
    public void BadOverridesNameTheOptionAndColumn(string options, string message)
    {
        var csv = new CsvOptions();
        foreach (string option in options.Split(", "))
        {
            string[] kv = option.Split('=');
            csv = kv[0] == "numeric" ? csv with { Numeric = [kv[1]] } : csv with { Categorical = [kv[1]] };
        }
        Assert.StartsWith(message, Error("a,b,label\n1,2,x\nFR,3,y\n", csv));
    }

    [Theory]
    [InlineData("a;b;label\n1,5;2;x\n3;4;y\n", "line 2, column 'a': '1,5' has a comma")]
    [InlineData("a,b,label\n\"1,000\",2,x\n3,4,y\n", "line 2, column 'a': '1,000' has a comma")]
    [InlineData("a,b,label\ninf,2,x\n3,4,y\n", "line 2, column 'a': 'inf' is not a finite number")]
    [InlineData("a,b,label\n1e400,2,x\n3,4,y\n", "line 2, column 'a': '1e400' is outside the float32 range")]
    public void SpoiltNumbersInANumericColumnStayErrors(string text, string message) =>
        Assert.Contains(message, Error(text, new CsvOptions { Delimiter = text.Contains(';') ? ';' : ',' }));

    [Fact]
    public void ASpoiltNumberBesideTextIsJustACategory()
    {
        Table t = Read("a,label\n\"1,5\",x\nhello,y\n");
        Assert.Equal(ColumnKind.Categorical, t.Columns[0].Kind);
        Assert.Equal(new string?[] { "1,5", "hello" }, t.Columns[0].Categories.AsEnumerable());
    }

    [Fact]
    public void ANumericFileIsReadInOnePassAndTextLateInAFileStillMakesACategory()
    {
        // The reader first assumes open columns are numeric; text in the last row sends it back to settle the types.
        Table t = Read("a,b,label\n1,2,x\n3,4,y\n5,six,x\n");
        Assert.Equal([ColumnKind.Numeric, ColumnKind.Categorical], t.Columns.Select(c => c.Kind));
        Assert.Equal(new string?[] { "2", "4", "six" }, t.Columns[1].Categories.AsEnumerable());
        // A row left out for its missing label does not decide a type.
        Table dropped = Read("a,b,label\n1,2,x\n3,four,\n5,6,y\n", new CsvOptions { DropUnlabelled = true });
        Assert.Equal(ColumnKind.Numeric, dropped.Columns[1].Kind);
        Assert.Equal([2f, 6f], dropped.Columns[1].Numbers);
    }

    [Fact]
    public void MissingErrorRestoresTheStrictMessages()
    {
        var strict = new CsvOptions { Missing = MissingValues.Error };
        Assert.Contains("line 2, column 'b': missing value", Error("a,b,label\n1,,x\n3,4,y\n", strict));
        Assert.Contains("line 3, column 'b': 'NaN' is not a finite number", Error("a,b,label\n1,2,x\n3,NaN,y\n", strict));
        Assert.Contains("line 2, column 'b': missing value", Error("a,b,label\n1,,x\n3,q,y\n", strict));   // a categorical column too
    }

    [Fact]
    public void UnlabelledRowsAreAnErrorOrDropped()
    {
        const string text = "a,label\n1,x\n2,\n3,y\n4,NaN\n5,x\n";
        Assert.Contains("line 3, column 'label': the label is missing", Error(text));
        Table t = Read(text, new CsvOptions { DropUnlabelled = true });
        Assert.Equal(3, t.RowCount);
        Assert.Equal(2, t.DroppedRows);
        Assert.Equal([1f, 3f, 5f], t.Columns[0].Numbers);
        Assert.Contains("every row lacks a label", Error("a,label\n1,\n2,\n", new CsvOptions { DropUnlabelled = true }));
    }

    [Fact]
    public void FromRowsInfersAndFailsAsTheCsvReaderDoes()
    {
        string[] names = ["age", "country", "label"];
        Table rows = Table.FromRows(names, [[30.0, "FR", "x"], [null, " DE ", "y"], ["NA", null, "x"], [41.5f, "FR", "y"]]);
        Table csv = Read("age,country,label\n30,FR,x\n, DE ,y\nNA,,x\n41.5,FR,y\n");
        for (int c = 0; c < 2; c++)
        {
            Assert.Equal(csv.Columns[c].Kind, rows.Columns[c].Kind);
            Assert.Equal(csv.Columns[c].Numbers, rows.Columns[c].Numbers);
            Assert.Equal(csv.Columns[c].Categories, rows.Columns[c].Categories);
        }
        Assert.Equal(csv.Labels, rows.Labels);
        var e = Assert.Throws<DataFormatException>(() => Table.FromRows(names, [[1, "FR", "x"], ["hello", "DE", "y"]], new CsvOptions { Numeric = ["age"] }));
        Assert.StartsWith("row 2, column 'age': 'hello' is not a number; CsvOptions.Numeric names 'age'", e.Message);
    }

    [Fact]
    public void TheEncoderImputesWithIndicatorsAndOneHotsTheFrequentCategories()
    {
        // b is never missing, so it gets no indicator; c keeps its 2 most frequent categories, the rest go to "other".
        Table train = Read("a,b,c,label\n1,10,p,x\n,20,p,y\n3,30,q,x\n5,40,r,y\n,50,,x\n");
        TableEncoder encoder = TableEncoder.Fit(train, maxCategories: 2);
        Assert.Equal(["a", "a (missing)", "b", "c=p", "c=q", "c (other)", "c (missing)"], encoder.FeatureNames);
        Assert.Equal(3f, encoder.Columns[0].Fill);
        float[] x = encoder.Encode(train);
        Assert.Equal([3f, 1f, 20f, 1f, 0f, 0f, 0f], x.AsSpan(7, 7).ToArray());     // a missing: the mean and the indicator
        Assert.Equal([5f, 0f, 40f, 0f, 0f, 1f, 0f], x.AsSpan(21, 7).ToArray());    // r is rare: "other"
        Assert.Equal([3f, 1f, 50f, 0f, 0f, 0f, 1f], x.AsSpan(28, 7).ToArray());    // c missing: its own slot

        var report = new EncodingReport();
        Table test = Read("c,b,a,label\nzz,1,2,x\n,2,,y\np,NaN,4,x\nr,3,5,y\n", new CsvOptions { FeatureNames = ["a", "b", "c"], FeatureKinds = encoder.ColumnKinds, ClassNames = ["x", "y"] });
        float[] y = encoder.Encode(test, report);
        Assert.Equal([2f, 0f, 1f, 0f, 0f, 1f, 0f], y.AsSpan(0, 7).ToArray());      // unseen "zz" -> other, never a zero row
        Assert.Equal([3f, 1f, 2f, 0f, 0f, 0f, 1f], y.AsSpan(7, 7).ToArray());      // a and c missing
        Assert.Equal([4f, 0f, 30f, 1f, 0f, 0f, 0f], y.AsSpan(14, 7).ToArray());    // b missing: the mean 30, no indicator
        Assert.Equal([5f, 0f, 3f, 0f, 0f, 1f, 0f], y.AsSpan(21, 7).ToArray());     // r, rare in training: "other" too
        Assert.Equal(1, report.Unseen["c"]);
        Assert.Equal(1, report.Rare["c"]);
        Assert.Equal(["zz"], report.UnseenExamples["c"]);
        Assert.Equal(1, report.Missing["a"]);
        Assert.Equal(1, report.Missing["b"]);
        Assert.Equal(1, report.Missing["c"]);
    }

    [Fact]
    public void AMissingCategoryUnknownToTrainingGoesToOther()
    {
        TableEncoder encoder = TableEncoder.Fit(Read("c,label\np,x\nq,y\n"));
        Assert.Equal(["c=p", "c=q", "c (other)"], encoder.FeatureNames);
        float[] y = encoder.Encode(Table.FromRows(["c"], [[null]], new CsvOptions { LabelRequired = false, FeatureNames = ["c"], FeatureKinds = [ColumnKind.Categorical] }));
        Assert.Equal([0f, 0f, 1f], y);
    }

    [Fact]
    public void TheNumericReaderIsUnchangedByTheTableOptions()
    {
        // CsvData.Read keeps its contract: numbers only, no missing values, whatever the table options say.
        var e = Assert.Throws<DataFormatException>(() => CsvData.Read(new StringReader("a,b,label\nhello,,x\n3,4,y\n"), "t.csv", new CsvOptions { Categorical = ["a"] }));
        Assert.Contains("'hello' is not a number", e.Message);
    }
}
