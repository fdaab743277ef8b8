using System.Text.Json;
using Xent.Data;

namespace Xent.Cli;

/// <summary>
/// What the commands say about columns: before training, the columns by type with their categories and missing values;
/// after predicting or evaluating, the values a model mapped to "other" or filled in.
/// </summary>
internal static class ColumnsReport
{
    /// <summary>Two lines: the numeric columns, then the categorical ones, each with its missing count and number of categories.</summary>
    public static void Write(CliConsole console, Table data, int maxCategories) => Write(console, DataSummary.Of(data), maxCategories);

    /// <inheritdoc cref="Write(CliConsole, Table, int)"/>
    public static void Write(CliConsole console, DataSummary data, int maxCategories)
    {
        foreach (ColumnKind kind in new[] { ColumnKind.Numeric, ColumnKind.Categorical })
        {
            ColumnSummary[] columns = data.Columns.Where(c => c.Kind == kind).ToArray();
            if (columns.Length == 0) continue;
            // A wide file lists its first columns and every one with something to say (missing values, categories), up to a limit.
            const int shown = 16;
            ColumnSummary[] listed = columns.Length <= shown ? columns
                : columns.Where(c => c.MissingCount > 0 || c.Kind == ColumnKind.Categorical).Take(shown).Concat(columns).Distinct().Take(shown).ToArray();
            string list = string.Join(", ", columns.Where(listed.Contains).Select(c => Describe(c, maxCategories)))
                + (columns.Length > listed.Length ? $" and {columns.Length - listed.Length} more" : "");
            console.Line($"{(kind == ColumnKind.Numeric ? "Numeric" : "Categorical")} columns ({columns.Length}): {list}");
        }
    }

    private static string Describe(ColumnSummary c, int maxCategories)
    {
        var parts = new List<string>();
        if (c.Kind == ColumnKind.Categorical)
        {
            int distinct = c.DistinctCount;
            parts.Add(distinct > maxCategories ? $"{distinct} categories, the {maxCategories} most frequent kept" : $"{distinct} categor{(distinct == 1 ? "y" : "ies")}");
        }
        if (c.MissingCount > 0) parts.Add($"{c.MissingCount} missing");
        return parts.Count == 0 ? c.Name : $"{c.Name} ({string.Join(", ", parts)})";
    }

    /// <summary>"columns": [{"name", "type", "categories" (null for numeric), "categoriesKept", "missing"}].</summary>
    public static void WriteJson(Utf8JsonWriter writer, DataSummary data, int maxCategories)
    {
        writer.WriteStartArray("columns");
        foreach (ColumnSummary c in data.Columns)
        {
            writer.WriteStartObject();
            writer.WriteString("name", c.Name);
            writer.WriteString("type", c.Kind == ColumnKind.Numeric ? "numeric" : "categorical");
            if (c.Kind == ColumnKind.Categorical)
            {
                int distinct = c.DistinctCount;
                writer.WriteNumber("categories", distinct);
                writer.WriteNumber("categoriesKept", Math.Min(distinct, maxCategories));
            }
            else
            {
                writer.WriteNull("categories");
                writer.WriteNull("categoriesKept");
            }
            writer.WriteNumber("missing", c.MissingCount);
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
    }

    /// <summary>One line per kind of event, or null when every value was a known category or present.</summary>
    public static string? Describe(EncodingReport report)
    {
        var lines = new List<string>();
        if (report.UnseenCount > 0)
            lines.Add("Categories never seen in training were read as 'other': "
                + string.Join(", ", report.Unseen.Select(p => $"{p.Key} {p.Value} row{(p.Value == 1 ? "" : "s")} (e.g. {string.Join(", ", report.UnseenExamples[p.Key].Select(e => $"'{e}'"))})")) + ".");
        if (report.MissingCount > 0)
            lines.Add("Missing values were filled as in training: " + string.Join(", ", report.Missing.Select(p => $"{p.Key} {p.Value} row{(p.Value == 1 ? "" : "s")}")) + ".");
        return lines.Count == 0 ? null : string.Join(Environment.NewLine, lines);
    }

    /// <summary>"unseen": {"column": rows}, "rare": {"column": rows}, "missing": {"column": rows}.</summary>
    public static void WriteJson(Utf8JsonWriter writer, EncodingReport report)
    {
        writer.WriteStartObject("unseen");
        foreach ((string column, int rows) in report.Unseen) writer.WriteNumber(column, rows);
        writer.WriteEndObject();
        writer.WriteStartObject("rare");
        foreach ((string column, int rows) in report.Rare) writer.WriteNumber(column, rows);
        writer.WriteEndObject();
        writer.WriteStartObject("missing");
        foreach ((string column, int rows) in report.Missing) writer.WriteNumber(column, rows);
        writer.WriteEndObject();
    }
}

/// <summary>What the column report says of one column: its kind, its distinct categories (0 for numeric) and its missing values.</summary>
internal sealed record ColumnSummary(string Name, ColumnKind Kind, int DistinctCount, int MissingCount);

/// <summary>What the reports say of a data set: its columns, its rows and the rows left out for lack of a label.</summary>
internal sealed record DataSummary(IReadOnlyList<ColumnSummary> Columns, int RowCount, int DroppedRows)
{
    public static DataSummary Of(Table data) =>
        new(data.Columns.Select(c => new ColumnSummary(c.Name, c.Kind, c.DistinctCount, c.MissingCount)).ToArray(), data.RowCount, data.DroppedRows);

    /// <summary>The columns of a streamed training source, as the pass over it counted them.</summary>
    public static DataSummary Of(StreamedTraining streamed) =>
        new(streamed.Columns.Select(c => new ColumnSummary(c.Name, c.Kind, c.DistinctCount, (int)c.MissingCount)).ToArray(), (int)streamed.RowCount, (int)streamed.DroppedRows);
}
