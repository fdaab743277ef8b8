using System.CommandLine;
using Xent.Data;
using Xent.Models;
using Xent.Training;

namespace Xent.Cli.Commands;

/// <summary><c>xent evaluate</c>: accuracy, log loss, confusion matrix and per-class metrics of a saved model on labelled CSV data.</summary>
public static class EvaluateCommand
{
    public static readonly Option<string> Model = new("--model") { Description = "A model saved by 'xent train --out'", Required = true };
    public static readonly Option<string> Data = new("--data") { Description = "Labelled CSV with the model's feature columns", Required = true };
    public static readonly Option<string?> Label = new("--label") { Description = "Name of the label column (default: the one column that is not a feature)" };
    public static readonly Option<string> Delimiter = new("--delimiter") { Description = "Field separator: one character, or 'tab'", DefaultValueFactory = _ => "," };
    public static readonly Option<bool> Json = new("--json") { Description = "Print {\"accuracy\", \"logLoss\", \"confusionMatrix\", \"classes\", \"perClass\"} as JSON" };

    static EvaluateCommand()
    {
        Delimiter.MustBeDelimiter();
    }

    public static Command Create(CliConsole console)
    {
        var command = new Command("evaluate", "Measure a saved model on labelled CSV data: accuracy, log loss, confusion matrix, per-class precision, recall and F1.");
        foreach (Option o in new Option[] { Model, Data, Label, Delimiter, Json }) command.Options.Add(o);
        command.SetAction(parse => Run(parse, console));
        return command;
    }


    private static int Run(ParseResult parse, CliConsole console)
    {
        Classifier model = Classifier.Load(FilePaths.Input(parse.GetValue(Model), Model.Name));
        var csv = new CsvOptions
        {
            Delimiter = OptionParsing.ParseDelimiter(parse.GetValue(Delimiter)!),
            Label = parse.GetValue(Label),
            FeatureNames = model.FeatureNames,
            ClassNames = model.ClassNames,
        };
        Dataset data = CsvData.Read(FilePaths.Input(parse.GetValue(Data), Data.Name), csv).ToDataset();
        ClassificationMetrics metrics = model.Evaluate(data);
        if (parse.GetValue(Json))
        {
            console.Out.WriteLine(JsonOutput.Write(w => { w.WriteStartObject(); MetricsReport.WriteJson(w, metrics); w.WriteEndObject(); }));
            return 0;
        }
        console.Line($"Model {model.Network.ToString()} on {Path.GetFileName(parse.GetValue(Data))}: {data.RowCount} rows.");
        console.Line($"accuracy {metrics.Accuracy:P2}   log loss {metrics.LogLoss:F4}   macro F1 {metrics.MacroF1:F3}");
        MetricsReport.Write(console, metrics, "Evaluation");
        return 0;
    }
}
