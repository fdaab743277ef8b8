using System.CommandLine;
using System.Globalization;
using System.Numerics.Tensors;
using System.Text;
using Xent.Data;
using Xent.Models;

namespace Xent.Cli.Commands;

/// <summary><c>xent predict</c>: the predicted class (and optionally every class probability) for each row of a CSV file.</summary>
internal static class PredictCommand
{
    private static readonly ModelInput Input = new("Rows with the model's feature columns (a label column is allowed and ignored)");
    public static readonly Option<string?> Out = CommonOptions.Out("Write the predictions to this CSV file instead of the console");
    public static readonly Option<bool> Force = CommonOptions.Force();
    public static readonly Option<bool> Probabilities = new("--probabilities") { Description = "Add one probability column per class" };
    public static readonly Option<bool> Json = CommonOptions.Json("{\"predictions\": [{\"class\", \"probabilities\"}], \"unseen\": {column: rows}, \"rare\": {column: rows}, \"missing\": {column: rows}}");

    public static Command Create(CliConsole console)
    {
        var command = new Command("predict", "Predict the class of every row of a CSV file with a saved model.");
        foreach (Option o in Input.Options.Concat([Out, Force, Probabilities, Json])) command.Options.Add(o);
        command.SetAction(parse => Run(parse, console));
        return command;
    }

    private static int Run(ParseResult parse, CliConsole console)
    {
        var output = parse.OutputFile(Out, Force);
        using OutputLock? owned = output?.Lock;
        string? outPath = output?.Path;
        var (model, table) = Input.Read(parse, new CsvOptions { LabelRequired = false });
        char delimiter = parse.DelimiterValue(Input.Delimiter);
        int classes = model.ClassNames.Count;
        var report = new EncodingReport();
        float[] p = model.PredictProbabilities(table, report);

        if (parse.GetValue(Json))
        {
            console.Out.WriteLine(JsonOutput.Write(w =>
            {
                w.WriteStartObject();
                w.WriteStartArray("predictions");
                for (int r = 0; r < table.RowCount; r++)
                {
                    ReadOnlySpan<float> row = p.AsSpan(r * classes, classes);
                    w.WriteStartObject();
                    w.WriteString("class", model.ClassNames[TensorPrimitives.IndexOfMax(row)]);
                    w.WriteStartArray("probabilities");
                    foreach (float v in row) w.WriteNumberValue(v);
                    w.WriteEndArray();
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                ColumnsReport.WriteJson(w, report);
                w.WriteEndObject();
            }));
        }
        bool withProbabilities = parse.GetValue(Probabilities);
        if (outPath is not null)
        {
            AtomicFile.Write(outPath, stream =>
            {
                using var writer = new StreamWriter(stream, new UTF8Encoding(false), leaveOpen: true);
                WriteCsv(writer, model, p, table.RowCount, withProbabilities, delimiter);
            }, overwrite: parse.GetValue(Force));
            if (!parse.GetValue(Json))
            {
                console.Line($"Wrote {table.RowCount} predictions to {outPath}.");
                if (ColumnsReport.Describe(report) is { } note) console.Line($"{note}");
            }
        }
        else if (!parse.GetValue(Json))
        {
            WriteCsv(console.Out, model, p, table.RowCount, withProbabilities, delimiter);
            // The predictions on standard output stay a clean CSV file; the note goes beside them.
            if (ColumnsReport.Describe(report) is { } note)
                foreach (string line in note.Split(Environment.NewLine)) console.Error.WriteLine($"xent predict: note: {line}");
        }
        return 0;
    }

    private static void WriteCsv(TextWriter writer, Classifier model, float[] p, int rows, bool withProbabilities, char delimiter)
    {
        int classes = model.ClassNames.Count;
        var line = new StringBuilder("predicted");
        if (withProbabilities)
            foreach (string c in model.ClassNames) line.Append(delimiter).Append(CsvData.Escape("p_" + c, delimiter));
        writer.WriteLine(line);
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> row = p.AsSpan(r * classes, classes);
            line.Clear().Append(CsvData.Escape(model.ClassNames[TensorPrimitives.IndexOfMax(row)], delimiter));
            if (withProbabilities)
                foreach (float v in row) line.Append(delimiter).Append(v.ToString("R", CultureInfo.InvariantCulture));
            writer.WriteLine(line);
        }
    }
}
