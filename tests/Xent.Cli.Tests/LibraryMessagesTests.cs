using Xent.Data;

namespace Xent.Cli.Tests;

/// <summary>The library names its reading options as CsvOptions properties; the command line shows the flags instead.</summary>
public sealed class LibraryMessagesTests
{
    [Theory]
    [InlineData("t.csv: CsvOptions.Ignore names the column 'zz'", "t.csv: --ignore names the column 'zz'")]
    [InlineData("t.csv: CsvOptions.Categorical names 'a', which CsvOptions.Ignore drops", "t.csv: --categorical names 'a', which --ignore drops")]
    [InlineData("t.csv: every row lacks a label, so CsvOptions.DropUnlabelled left none", "t.csv: every row lacks a label, so --drop-unlabelled left none")]
    [InlineData("t.csv, line 2, column 'b': missing value; fill it in or drop the row (or set CsvOptions.Missing to Impute)",
        "t.csv, line 2, column 'b': missing value; fill it in or drop the row (or leave out --missing error)")]
    [InlineData("t.csv, line 1: found 1 column; need at least one feature column and a label column (is CsvOptions.Delimiter right?)",
        "t.csv, line 1: found 1 column; need at least one feature column and a label column (is --delimiter right?)")]
    [InlineData("m.safetensors: tensor 'output.bias' is missing", "m.safetensors: tensor 'output.bias' is missing")]
    public void OptionNamesBecomeFlags(string library, string cli) => Assert.Equal(cli, LibraryMessages.ForCli(library));

    [Fact]
    public void EveryOptionTheReaderNamesHasAFlag()
    {
        // Each reading error that names an option, read through the library, comes out of ForCli with no CsvOptions left in it.
        (string Csv, CsvOptions Options)[] cases =
        [
            ("a,b,label\n1,2,x\n3,4,y\n", new CsvOptions { Ignore = ["zz"] }),
            ("a,b,label\n1,2,x\n3,4,y\n", new CsvOptions { Categorical = ["zz"] }),
            ("a,b,label\n1,2,x\n3,4,y\n", new CsvOptions { Numeric = ["zz"] }),
            ("a,b,label\n1,2,x\n3,4,y\n", new CsvOptions { Categorical = ["a"], Ignore = ["a"] }),
            ("a,b,label\nhello,2,x\n3,4,y\n", new CsvOptions { Numeric = ["a"] }),
            ("a,label\n1,\n2,NaN\n", new CsvOptions { DropUnlabelled = true }),
            ("a;b;label\n1;2;x\n", new CsvOptions()),
            ("a,b,label\n1,2,x\n3,4,y\n", new CsvOptions { Label = "nope" }),
        ];
        foreach ((string csv, CsvOptions options) in cases)
        {
            var e = Assert.Throws<DataFormatException>(() => CsvData.ReadTable(new StringReader(csv), "t.csv", options));
            Assert.Contains("CsvOptions.", e.Message, StringComparison.Ordinal);
            string shown = LibraryMessages.ForCli(e.Message);
            Assert.DoesNotContain("CsvOptions", shown, StringComparison.Ordinal);
            Assert.Contains("--", shown, StringComparison.Ordinal);
        }
    }
}
