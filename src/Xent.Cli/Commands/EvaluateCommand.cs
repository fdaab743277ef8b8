using System.CommandLine;
using Xent.Data;
using Table = Xent.Data.Table;

namespace Xent.Cli.Commands;

/// <summary><c>xent evaluate</c>: accuracy, log loss, confusion matrix and per-class metrics of a saved model on labelled CSV data.</summary>
internal static class EvaluateCommand
{
    public static readonly Option<string> Model = new("--model") { Description = "A model saved by 'xent train --out'", Required = true };
    public static readonly Option<string> Data = new("--data") { Description = "Labelled CSV or Parquet file, folder of shards or glob with the model's feature columns", Required = true };
    public static readonly Option<string?> Label = new("--label") { Description = "Name of the label column (default: the one column that is not a feature)" };
    public static readonly Option<string> Delimiter = new("--delimiter") { Description = "Field separator: one character, or 'tab'", DefaultValueFactory = _ => "," };
    public static readonly Option<string?> Missing = new("--missing") { Description = "Missing values: 'impute' (as in training) or 'error' (default: the policy the model was trained with)" };
    public static readonly Option<bool> Json = new("--json") { Description = "Print {\"accuracy\", \"logLoss\", \"confusionMatrix\", \"classes\", \"perClass\", \"unseen\", \"rare\", \"missing\"} as JSON" };

    static EvaluateCommand()
    {
        Delimiter.MustBeDelimiter();
        Missing.MustBeMissingPolicy();
    }

    public static Command Create(CliConsole console)
    {
        var command = new Command("evaluate", "Measure a saved model on labelled CSV data: accuracy, log loss, confusion matrix, per-class precision, recall and F1.");
        foreach (Option o in new Option[] { Model, Data, Label, Delimiter, Missing, Json }) command.Options.Add(o);
        command.SetAction(parse => Run(parse, console));
        return command;
    }


    private static int Run(ParseResult parse, CliConsole console)
    {
        Classifier model = Classifier.Load(FilePaths.Input(parse.GetValue(Model), Model.Name));
        CsvOptions csv = model.ReadingOptions(new CsvOptions
        {
            Delimiter = OptionParsing.ParseDelimiter(parse.GetValue(Delimiter)!),
            Label = parse.GetValue(Label),
            Missing = parse.GetValue(Missing) is { } m ? OptionParsing.ParseMissing(m) : model.Encoder.Missing,
        });
        Table data = CsvData.ReadTable(FilePaths.DataInput(parse.GetValue(Data), Data.Name), csv);
        var report = new EncodingReport();
        ClassificationMetrics metrics = model.Evaluate(data, report);
        if (parse.GetValue(Json))
        {
            console.Out.WriteLine(JsonOutput.Write(w => { w.WriteStartObject(); MetricsReport.WriteJson(w, metrics); ColumnsReport.WriteJson(w, report); w.WriteEndObject(); }));
            return 0;
        }
        console.Line($"Model {model.Network.ToString()} on {Path.GetFileName(parse.GetValue(Data))}: {data.RowCount} rows.");
        if (ColumnsReport.Describe(report) is { } note) console.Line($"{note}");
        console.Line($"accuracy {metrics.Accuracy:P2}   log loss {metrics.LogLoss:F4}   macro F1 {metrics.MacroF1:F3}");
        MetricsReport.Write(console, metrics, "Evaluation");
        return 0;
    }
}
