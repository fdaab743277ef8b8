using System.CommandLine;
using Xent.Data;
using Table = Xent.Data.Table;

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
        // A chunk of rows at a time (as predict reads them), so data of any size is evaluated in bounded memory: the
        // confusion matrix and the log loss are summed row by row in file order, as over the whole table.
        var (model, chunks) = Input.ReadChunks(parse, new CsvOptions { Label = parse.GetValue(Label) });
        var report = new EncodingReport();
        int classes = model.ClassNames.Count;
        var confusion = new int[classes][];
        for (int c = 0; c < classes; c++) confusion[c] = new int[classes];
        double logLoss = 0;
        long rows = 0;
        foreach (Table chunk in chunks)
        {
            // The reading requires the label column, so every chunk has labels.
            ClassificationMetrics.Add(chunk.Labels!, model.PredictProbabilities(chunk, report), confusion, ref logLoss);
            rows += chunk.RowCount;
        }
        ClassificationMetrics metrics = ClassificationMetrics.FromConfusion(confusion, logLoss, model.ClassNames);
        if (parse.GetValue(Json))
        {
            console.Out.WriteLine(JsonOutput.Write(w => { w.WriteStartObject(); MetricsReport.WriteJson(w, metrics); ColumnsReport.WriteJson(w, report); w.WriteEndObject(); }));
            return 0;
        }
        console.Line($"Model {model.Network.ToString()} on {Path.GetFileName(parse.GetValue(Input.Data))}: {rows} rows.");
        if (ColumnsReport.Describe(report) is { } note) console.Line($"{note}");
        console.Line($"accuracy {metrics.Accuracy:P2}   log loss {metrics.LogLoss:F4}   macro F1 {metrics.MacroF1:F3}");
        MetricsReport.Write(console, metrics, "Evaluation");
        return 0;
    }
}
