using System.CommandLine;
using Xent.Data;
using Table = Xent.Data.Table;

namespace Xent.Cli;

/// <summary>
/// The options of the commands that apply a saved model to data (<c>evaluate</c>, <c>predict</c>) — <c>--model</c>,
/// <c>--data</c>, <c>--delimiter</c>, <c>--missing</c> — and their reading: the model first, then the data by the model's
/// column names, types and classes, whatever order its columns are in.
/// </summary>
internal sealed class ModelInput(string dataDescription)
{
    public Option<string> Model { get; } = CommonOptions.Model();
    public Option<string?> Data { get; } = CommonOptions.Data(dataDescription, required: true);
    public Option<string> Delimiter { get; } = CommonOptions.Delimiter();
    public Option<string?> Missing { get; } = CommonOptions.MissingForModel();

    public IEnumerable<Option> Options => [Model, Data, Delimiter, Missing];

    /// <summary>The model, and the data read for it; <paramref name="reading"/> adds what the command decides (label column, whether labels are required).</summary>
    public (Classifier Model, Table Data) Read(ParseResult parse, CsvOptions reading)
    {
        (Classifier model, CsvOptions csv) = Open(parse, reading);
        return (model, CsvData.ReadTable(parse.DataValue(Data)!, csv));
    }

    /// <summary>Rows a chunk of <see cref="ReadChunks"/> holds: large enough that a chunk's overhead does not count, small enough to stay far below memory.</summary>
    public const int RowsPerChunk = 65_536;

    /// <summary>
    /// The model, and the data read for it in tables of at most <see cref="RowsPerChunk"/> rows, each read when the
    /// previous one is done with (so memory holds one chunk, whatever the data's size).
    /// </summary>
    public (Classifier Model, IEnumerable<Table> Chunks) ReadChunks(ParseResult parse, CsvOptions reading)
    {
        (Classifier model, CsvOptions csv) = Open(parse, reading);
        return (model, CsvData.ReadTableChunks(DataSource.Open(parse.DataValue(Data)!), csv, RowsPerChunk));
    }

    private (Classifier Model, CsvOptions Reading) Open(ParseResult parse, CsvOptions reading)
    {
        Classifier model = Classifier.Load(FilePaths.Input(parse.GetValue(Model), Model.Name));
        CsvOptions csv = model.ReadingOptions(reading with
        {
            Delimiter = parse.DelimiterValue(Delimiter),
            Missing = parse.MissingValue(Missing, model.Encoder.Missing),
        });
        return (model, csv);
    }
}
