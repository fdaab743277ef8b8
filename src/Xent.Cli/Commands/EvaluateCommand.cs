using System.CommandLine;
using Xent.Data;
using Xent.Models;
using Xent.Training;
using Table = Xent.Data.Table;

namespace Xent.Cli.Commands;

/// <summary><c>xent evaluate</c>: accuracy, log loss, confusion matrix and per-class metrics of a saved model on labelled CSV data.</summary>
internal static class EvaluateCommand
{
    public static readonly Option<string> Model = CommonOptions.Model();
    public static readonly Option<string?> Data = CommonOptions.Data("Labelled data with the model's feature columns", required: true);
    public static readonly Option<string?> Label = CommonOptions.Label("the one column that is not a feature");
    public static readonly Option<string> Delimiter = CommonOptions.Delimiter();
    public static readonly Option<string?> Missing = CommonOptions.MissingForModel();
    public static readonly Option<bool> Json = CommonOptions.Json("{\"accuracy\", \"logLoss\", \"confusionMatrix\", \"classes\", \"perClass\", \"unseen\", \"rare\", \"missing\"}");

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
            Delimiter = parse.DelimiterValue(Delimiter),
            Label = parse.GetValue(Label),
            Missing = parse.MissingValue(Missing, model.Encoder.Missing),
        });
        Table data = CsvData.ReadTable(parse.DataValue(Data)!, csv);
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
