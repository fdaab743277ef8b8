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

    // CSV output is read, predicted and written a chunk at a time (ModelInput.ReadChunks), so a file of any size is
    // predicted in bounded memory; --json builds one document of every prediction, so it reads the data whole.
    private static int Run(ParseResult parse, CliConsole console)
    {
        var output = parse.OutputFile(Out, Force);
        using OutputLock? owned = output?.Lock;
        string? outPath = output?.Path;
        char delimiter = parse.DelimiterValue(Input.Delimiter);
        var report = new EncodingReport();
        if (parse.GetValue(Json))
        {
            var (model, table) = Input.Read(parse, new CsvOptions { LabelRequired = false });
            int classes = model.ClassNames.Count;
            float[] p = model.PredictProbabilities(table, report);
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
            if (outPath is not null)
                AtomicFile.Write(outPath, stream =>
                {
                    using var writer = new StreamWriter(stream, new UTF8Encoding(false), leaveOpen: true);
                    StringBuilder line = WriteHeader(writer, model, parse.GetValue(Probabilities), delimiter);
                    WriteRows(writer, model, p, table.RowCount, line, parse.GetValue(Probabilities), delimiter);
                }, overwrite: parse.GetValue(Force));
            return 0;
        }
        var (streamed, chunks) = Input.ReadChunks(parse, new CsvOptions { LabelRequired = false });
        bool withProbabilities = parse.GetValue(Probabilities);
        if (outPath is not null)
        {
            // The file appears whole or not at all: an error in a later chunk leaves no partial file behind.
            long rows = 0;
            AtomicFile.Write(outPath, stream =>
            {
                using var writer = new StreamWriter(stream, new UTF8Encoding(false), leaveOpen: true);
                rows = WriteCsv(writer, streamed, chunks, report, withProbabilities, delimiter);
            }, overwrite: parse.GetValue(Force));
            console.Line($"Wrote {rows} predictions to {outPath}.");
            if (ColumnsReport.Describe(report) is { } note) console.Line($"{note}");
        }
        else
        {
            WriteCsv(console.Out, streamed, chunks, report, withProbabilities, delimiter);
            // The predictions on standard output stay a clean CSV file; the note goes beside them.
            if (ColumnsReport.Describe(report) is { } note)
                foreach (string line in note.Split(Environment.NewLine)) console.Error.WriteLine($"xent predict: note: {line}");
        }
        return 0;
    }

    // The header, then each chunk's predicted class (and probabilities) per row; returns the rows written. The first chunk
    // is read before anything is written, so a file that does not fit the model (a missing column, a bad first rows)
    // leaves the output empty; a bad row further on ends the output where it is, with the error and a non-zero exit.
    private static long WriteCsv(TextWriter writer, Classifier model, IEnumerable<Table> chunks, EncodingReport report, bool withProbabilities, char delimiter)
    {
        using IEnumerator<Table> next = chunks.GetEnumerator();
        bool more = next.MoveNext();
        StringBuilder line = WriteHeader(writer, model, withProbabilities, delimiter);
        long rows = 0;
        for (; more; more = next.MoveNext())
        {
            Table chunk = next.Current;
            WriteRows(writer, model, model.PredictProbabilities(chunk, report), chunk.RowCount, line, withProbabilities, delimiter);
            rows += chunk.RowCount;
        }
        return rows;
    }

    // The CSV header; returns the line buffer the rows reuse.
    private static StringBuilder WriteHeader(TextWriter writer, Classifier model, bool withProbabilities, char delimiter)
    {
        var line = new StringBuilder("predicted");
        if (withProbabilities)
            foreach (string c in model.ClassNames) line.Append(delimiter).Append(CsvData.Escape("p_" + c, delimiter));
        writer.WriteLine(line);
        return line;
    }

    // p [rows, classes] -> one line per row: the most probable class, then the probabilities when asked for.
    private static void WriteRows(TextWriter writer, Classifier model, float[] p, int rows, StringBuilder line, bool withProbabilities, char delimiter)
    {
        int classes = model.ClassNames.Count;
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
