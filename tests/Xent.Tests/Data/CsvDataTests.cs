using Xent.Data;

namespace Xent.Tests.Data;

public class CsvDataTests
{
    private static CsvTable Read(string text, CsvOptions? options = null) =>
        CsvData.Read(new StringReader(text), "test.csv", options ?? new CsvOptions());

    [Fact]
    public void ReadsHeaderQuotedFieldsAndStringLabelsInSortedOrder()
    {
        CsvTable t = Read("a,\"b, with comma\",species\r\n1,2,\"vir\"\"ginica\"\n3,4.5e1,setosa\n\n-1,0,setosa\n");
        Assert.Equal(["a", "b, with comma"], t.FeatureNames);
        Assert.Equal(["setosa", "vir\"ginica"], t.ClassNames);
        Assert.Equal([1f, 2f, 3f, 45f, -1f, 0f], t.Features);
        Assert.Equal([1, 0, 0], t.Labels!);
    }

    [Fact]
    public void NumericLabelsSortNumericallyAndOptionsSelectColumns()
    {
        CsvTable t = Read("id;x;label;y\n1;0.5;10;7\n2;1.5;9;8\n3;2.5;10;9\n", new CsvOptions { Delimiter = ';', Label = "label", Ignore = ["id"] });
        Assert.Equal(["x", "y"], t.FeatureNames);
        Assert.Equal(["9", "10"], t.ClassNames);
        Assert.Equal([1, 0, 1], t.Labels!);
        Assert.Equal([0.5f, 7f, 1.5f, 8f, 2.5f, 9f], t.Features);
    }

    [Fact]
    public void AModelsFeatureListPicksColumnsByNameAndTheLabelIsOptional()
    {
        var options = new CsvOptions { FeatureNames = ["y", "x"], ClassNames = ["no", "yes"], LabelRequired = false };
        CsvTable t = Read("x,y\n1,2\n3,4\n", options);
        Assert.Equal([2f, 1f, 4f, 3f], t.Features);
        Assert.Null(t.Labels);
        CsvTable labelled = Read("x,y,answer\n1,2,yes\n3,4,no\n", options with { LabelRequired = true });
        Assert.Null(Read("x,y,answer\n1,2,yes\n3,4,no\n", options).Labels); // prediction ignores columns that are not features
        Assert.Equal([1, 0], labelled.Labels!);
    }

    [Theory]
    [InlineData("", "the file is empty")]
    [InlineData("a,b\n", "no data rows")]
    [InlineData("a,b\n1,x\n2,y\n3,x\n", "every row has")] // placeholder row replaced below
    [InlineData("a,b\n1,x\n,y\n", "line 3, column 'a': missing value")]
    [InlineData("a,b\n1,x\nabc,y\n", "line 3, column 'a': 'abc' is not a number")]
    [InlineData("a,b\n1,x\nNaN,y\n", "line 3, column 'a': 'NaN' is not a finite number")]
    [InlineData("a,b\n1,x\ninf,y\n", "not a finite number")]
    [InlineData("a,b\n1,x\n2,y,3\n", "line 3: 3 fields but the header has 2")]
    [InlineData("a,b\n1,x\n2\n", "line 3: 1 fields but the header has 2")]
    [InlineData("a,b\n1,x\n1,x\n", "every row has the class 'x'")]
    [InlineData("a,b\n1,\"x\n", "line 2: malformed CSV")]
    [InlineData("a,a\n1,x\n", "appears twice")]
    [InlineData("a,b\n1,\n2,y\n", "line 2, column 'b': the label is missing")]
    public void BadFilesNameTheLineAndColumn(string text, string message)
    {
        if (message == "every row has") text = "a,b\n1,x\n2,y\n3,x\nz,x\n";
        var e = Assert.Throws<DataFormatException>(() => Read(text));
        Assert.Contains(message == "every row has" ? "line 5, column 'a'" : message, e.Message);
        Assert.StartsWith("test.csv", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void UnknownColumnsInOptionsAreNamed()
    {
        Assert.Contains("no label column 'kind'", Assert.Throws<DataFormatException>(() => Read("a,b\n1,x\n2,y\n", new CsvOptions { Label = "kind" })).Message);
        Assert.Contains("CsvOptions.Ignore names the column 'zz'", Assert.Throws<DataFormatException>(() => Read("a,b\n1,x\n2,y\n", new CsvOptions { Ignore = ["zz"] })).Message);
        Assert.Contains("needs the feature column 'c'", Assert.Throws<DataFormatException>(() => Read("a,b\n1,x\n", new CsvOptions { FeatureNames = ["c"], LabelRequired = false })).Message);
        Assert.Contains("class 'maybe' is not one the model knows", Assert.Throws<DataFormatException>(() => Read("a,b\n1,maybe\n", new CsvOptions { FeatureNames = ["a"], ClassNames = ["no", "yes"] })).Message);
    }
}
