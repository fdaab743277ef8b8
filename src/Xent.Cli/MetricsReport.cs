using System.Text.Json;
using Spectre.Console;

namespace Xent.Cli;

/// <summary>Human and JSON renderings of <see cref="ClassificationMetrics"/>, shared by train and evaluate.</summary>
internal static class MetricsReport
{
    public static void Write(CliConsole console, ClassificationMetrics m, string title)
    {
        console.Ansi.MarkupLine($"[bold]{Markup.Escape(title)}: confusion matrix[/] (rows: true class, columns: predicted)");
        var confusion = new Table().AddColumn("");
        foreach (string c in m.Classes) confusion.AddColumn(new TableColumn(Markup.Escape(c)).RightAligned());
        for (int i = 0; i < m.Classes.Count; i++)
            confusion.AddRow(new[] { Markup.Escape(m.Classes[i]) }.Concat(m.ConfusionMatrix[i].Select(v => v.ToString())).ToArray());
        console.Ansi.Write(confusion);
        console.Ansi.MarkupLine($"[bold]{Markup.Escape(title)}: per class[/]");
        var perClass = new Table().AddColumn("class").AddColumn(new TableColumn("precision").RightAligned())
            .AddColumn(new TableColumn("recall").RightAligned()).AddColumn(new TableColumn("F1").RightAligned()).AddColumn(new TableColumn("support").RightAligned());
        foreach (ClassMetrics c in m.PerClass) perClass.AddRow(Markup.Escape(c.Class), $"{c.Precision:F3}", $"{c.Recall:F3}", $"{c.F1:F3}", $"{c.Support}");
        perClass.AddRow("macro average", $"{m.MacroPrecision:F3}", $"{m.MacroRecall:F3}", $"{m.MacroF1:F3}", $"{m.RowCount}");
        console.Ansi.Write(perClass);
    }

    /// <summary>{"accuracy", "logLoss", "confusionMatrix", "classes", "perClass": [{"class", "precision", "recall", "f1", "support"}], "macro": {...}}.</summary>
    public static void WriteJson(Utf8JsonWriter writer, ClassificationMetrics m)
    {
        JsonOutput.Number(writer, "accuracy", m.Accuracy);
        JsonOutput.Number(writer, "logLoss", m.LogLoss);
        writer.WriteStartArray("confusionMatrix");
        foreach (int[] row in m.ConfusionMatrix)
        {
            writer.WriteStartArray();
            foreach (int v in row) writer.WriteNumberValue(v);
            writer.WriteEndArray();
        }
        writer.WriteEndArray();
        writer.WriteStartArray("classes");
        foreach (string c in m.Classes) writer.WriteStringValue(c);
        writer.WriteEndArray();
        writer.WriteStartArray("perClass");
        foreach (ClassMetrics c in m.PerClass)
        {
            writer.WriteStartObject();
            writer.WriteString("class", c.Class);
            JsonOutput.Number(writer, "precision", c.Precision);
            JsonOutput.Number(writer, "recall", c.Recall);
            JsonOutput.Number(writer, "f1", c.F1);
            writer.WriteNumber("support", c.Support);
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
        writer.WriteStartObject("macro");
        JsonOutput.Number(writer, "precision", m.MacroPrecision);
        JsonOutput.Number(writer, "recall", m.MacroRecall);
        JsonOutput.Number(writer, "f1", m.MacroF1);
        writer.WriteEndObject();
    }
}
