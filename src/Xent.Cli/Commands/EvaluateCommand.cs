using System.CommandLine;
using Xent.Data;
using Xent.Training;

namespace Xent.Cli.Commands;

/// <summary><c>xent evaluate</c>: accuracy, log loss, confusion matrix and per-class metrics of a saved model on labelled CSV data.</summary>
internal static class EvaluateCommand
{
    private static readonly ModelInput Input = new("Labelled data with the model's feature columns");
    public static readonly Option<string?> Label = CommonOptions.Label("the one column that is not a feature");
    public static readonly Option<bool> Json = CommonOptions.Json("{\"accuracy\", \"logLoss\", \"confusionMatrix\", \"classes\", \"perClass\", \"unseen\", \"rare\", \"missing\"}");

    public static Command Create(CliConsole console)
    {
        var command = new Command("evaluate", "Measure a saved model on labelled CSV data: accuracy, log loss, confusion matrix, per-class precision, recall and F1.");
        foreach (Option o in Input.Options.Append(Label).Append(Json)) command.Options.Add(o);
        command.SetAction(parse => Run(parse, console));
        return command;
    }

    private static int Run(ParseResult parse, CliConsole console)
    {
        var (model, data) = Input.Read(parse, new CsvOptions { Label = parse.GetValue(Label) });
        var report = new EncodingReport();
        ClassificationMetrics metrics = model.Evaluate(data, report);
        if (parse.GetValue(Json))
        {
            console.Out.WriteLine(JsonOutput.Write(w => { w.WriteStartObject(); MetricsReport.WriteJson(w, metrics); ColumnsReport.WriteJson(w, report); w.WriteEndObject(); }));
            return 0;
        }
        console.Line($"Model {model.Network.ToString()} on {Path.GetFileName(parse.GetValue(Input.Data))}: {data.RowCount} rows.");
        if (ColumnsReport.Describe(report) is { } note) console.Line($"{note}");
        console.Line($"accuracy {metrics.Accuracy:P2}   log loss {metrics.LogLoss:F4}   macro F1 {metrics.MacroF1:F3}");
        MetricsReport.Write(console, metrics, "Evaluation");
        return 0;
    }
}
