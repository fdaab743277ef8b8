using System.Globalization;
using System.Text;

namespace Xent.Data;

/// <summary>A problem in an input file, located by file, line and column. Its message is one line a user can act on.</summary>
public sealed class DataFormatException(string message) : FormatException(message)
{
}

/// <summary>How to read a CSV file into a data set.</summary>
public sealed record CsvOptions
{
    public char Delimiter { get; init; } = ',';

    /// <summary>The label column's header name; null means the last column.</summary>
    public string? Label { get; init; }

    /// <summary>Whether the label column must be present (false for prediction, where it is optional).</summary>
    public bool LabelRequired { get; init; } = true;

    /// <summary>Columns to drop, by header name.</summary>
    public IReadOnlyList<string> Ignore { get; init; } = [];

    /// <summary>When set (from a saved model), the features to read, by name and in this order; other columns are ignored.</summary>
    public IReadOnlyList<string>? FeatureNames { get; init; }

    /// <summary>When set (from a saved model), the class names labels must come from; otherwise they are collected and sorted.</summary>
    public IReadOnlyList<string>? ClassNames { get; init; }
}

/// <summary>The rows of a CSV file: the float32 feature matrix and, when the label column was present, the labels.</summary>
public sealed record CsvTable(float[] Features, int[]? Labels, IReadOnlyList<string> FeatureNames, IReadOnlyList<string> ClassNames, int RowCount)
{
    public Dataset ToDataset() => Labels is null
        ? throw new InvalidOperationException("the table has no label column")
        : new Dataset(Features, Labels, FeatureNames, ClassNames);
}

/// <summary>
/// Reads CSV files (RFC 4180: a header row, a delimiter, fields optionally in double quotes with "" for a quote, CRLF or LF)
/// line by line into a float32 matrix, so memory holds the numbers, not the text. Every error names the file, the line and
/// the column.
/// </summary>
public static class CsvData
{
    public static CsvTable Read(string path, CsvOptions? options = null)
    {
        if (!File.Exists(path)) throw new DataFormatException($"{path}: no such file");
        using var reader = new StreamReader(path, Encoding.UTF8, detectEncodingFromByteOrderMarks: true, bufferSize: 1 << 16);
        return Read(reader, Path.GetFileName(path), options ?? new CsvOptions());
    }

    public static CsvTable Read(TextReader reader, string fileName, CsvOptions options)
    {
        var fields = new List<string>();
        int line = 0;
        if (!ReadRecord(reader, options.Delimiter, fields, ref line, fileName))
            throw new DataFormatException($"{fileName}: the file is empty; expected a header row, then one row per example");
        string[] header = fields.Select(f => f.Trim()).ToArray();
        for (int c = 0; c < header.Length; c++)
        {
            if (header[c].Length == 0) throw new DataFormatException($"{fileName}, line 1: column {c + 1} has no name in the header row");
            for (int d = 0; d < c; d++)
                if (header[d] == header[c]) throw new DataFormatException($"{fileName}, line 1: the column name '{header[c]}' appears twice");
        }
        if (header.Length < 2 && options.LabelRequired && options.FeatureNames is null)
            throw new DataFormatException($"{fileName}, line 1: found {header.Length} column; need at least one feature column and a label column (is --delimiter right?)");

        foreach (string ignored in options.Ignore)
            if (Array.IndexOf(header, ignored) < 0)
                throw new DataFormatException($"{fileName}: --ignore names the column '{ignored}', which is not in the header ({string.Join(", ", header)})");

        int[]? modelFeatureColumns = null;
        if (options.FeatureNames is { } wanted)
        {
            modelFeatureColumns = new int[wanted.Count];
            for (int i = 0; i < wanted.Count; i++)
            {
                modelFeatureColumns[i] = Array.IndexOf(header, wanted[i]);
                if (modelFeatureColumns[i] < 0)
                    throw new DataFormatException($"{fileName}: the model needs the feature column '{wanted[i]}', which is not in the header ({string.Join(", ", header)})");
            }
        }

        int labelColumn;
        if (options.Label is { } labelName)
        {
            labelColumn = Array.IndexOf(header, labelName);
            if (labelColumn < 0 && options.LabelRequired)
                throw new DataFormatException($"{fileName}: no label column '{labelName}' in the header ({string.Join(", ", header)}); choose one with --label");
        }
        else if (options.FeatureNames is not null)
        {
            // With a model's feature list, the label is whatever column is not a feature (if any single one is left).
            string[] rest = header.Where(h => !options.FeatureNames.Contains(h) && !options.Ignore.Contains(h)).ToArray();
            // Only when labels are required (evaluate); for prediction the other columns are simply ignored.
            labelColumn = rest.Length == 1 && options.LabelRequired ? Array.IndexOf(header, rest[0]) : -1;
            if (labelColumn < 0 && options.LabelRequired)
                throw new DataFormatException($"{fileName}: cannot tell which column holds the labels; name it with --label");
        }
        else labelColumn = header.Length - 1;

        int[] featureColumns;
        if (modelFeatureColumns is not null) featureColumns = modelFeatureColumns;
        else
        {
            featureColumns = Enumerable.Range(0, header.Length).Where(c => c != labelColumn && !options.Ignore.Contains(header[c])).ToArray();
            if (featureColumns.Length == 0) throw new DataFormatException($"{fileName}: no feature columns are left after the label and --ignore");
        }
        string[] featureNames = featureColumns.Select(c => header[c]).ToArray();

        var features = new FloatBuffer();
        var labelTexts = new List<string>();
        Dictionary<string, int>? fixedClasses = options.ClassNames?.Select((n, i) => (n, i)).ToDictionary(t => t.n, t => t.i, StringComparer.Ordinal);
        var labels = new List<int>();
        var seenClasses = new Dictionary<string, int>(StringComparer.Ordinal);
        int rows = 0;
        while (true)
        {
            int startLine = line + 1;
            if (!ReadRecord(reader, options.Delimiter, fields, ref line, fileName)) break;
            if (fields.Count == 1 && fields[0].Length == 0) continue; // a blank line
            if (fields.Count != header.Length)
                throw new DataFormatException($"{fileName}, line {startLine}: {fields.Count} fields but the header has {header.Length}; every row needs one value per column");
            foreach (int c in featureColumns)
                features.Add(ParseNumber(fields[c], fileName, startLine, header[c]));
            if (labelColumn >= 0)
            {
                string label = fields[labelColumn].Trim();
                if (label.Length == 0) throw new DataFormatException($"{fileName}, line {startLine}, column '{header[labelColumn]}': the label is missing");
                if (fixedClasses is not null)
                {
                    if (!fixedClasses.TryGetValue(label, out int index))
                        throw new DataFormatException($"{fileName}, line {startLine}, column '{header[labelColumn]}': the class '{label}' is not one the model knows ({string.Join(", ", options.ClassNames!)})");
                    labels.Add(index);
                }
                else
                {
                    if (!seenClasses.TryGetValue(label, out int index)) seenClasses[label] = index = seenClasses.Count;
                    labels.Add(index);
                }
            }
            rows++;
        }
        if (rows == 0) throw new DataFormatException($"{fileName}: the header is followed by no data rows");

        IReadOnlyList<string> classNames;
        int[]? labelArray = null;
        if (labelColumn >= 0)
        {
            if (fixedClasses is not null) { classNames = options.ClassNames!; labelArray = labels.ToArray(); }
            else
            {
                if (seenClasses.Count < 2)
                    throw new DataFormatException($"{fileName}, column '{header[labelColumn]}': every row has the class '{seenClasses.Keys.First()}'; a classifier needs at least two classes");
                // Classes in sorted order (numerically when every label is a number), as scikit-learn's LabelEncoder does.
                string[] sorted = SortClassNames(seenClasses.Keys);
                var remap = new int[sorted.Length];
                for (int i = 0; i < sorted.Length; i++) remap[seenClasses[sorted[i]]] = i;
                labelArray = labels.Select(l => remap[l]).ToArray();
                classNames = sorted;
            }
        }
        else classNames = options.ClassNames ?? [];
        return new CsvTable(features.ToArray(), labelArray, featureNames, classNames, rows);
    }

    private static string[] SortClassNames(IEnumerable<string> names)
    {
        string[] all = names.ToArray();
        bool numeric = all.All(n => double.TryParse(n, NumberStyles.Float, CultureInfo.InvariantCulture, out _));
        return numeric
            ? all.OrderBy(n => double.Parse(n, CultureInfo.InvariantCulture)).ThenBy(n => n, StringComparer.Ordinal).ToArray()
            : all.OrderBy(n => n, StringComparer.Ordinal).ToArray();
    }

    private static float ParseNumber(string text, string file, int line, string column)
    {
        string trimmed = text.Trim();
        if (trimmed.Length == 0) throw new DataFormatException($"{file}, line {line}, column '{column}': missing value; fill it in or drop the row");
        bool parsed = float.TryParse(trimmed, NumberStyles.Float, CultureInfo.InvariantCulture, out float value);
        if (!parsed && trimmed.TrimStart('+', '-').ToLowerInvariant() is "inf" or "infinity" or "nan") value = float.NaN;
        else if (!parsed)
            throw new DataFormatException($"{file}, line {line}, column '{column}': '{Shorten(trimmed)}' is not a number (drop the column with --ignore if it is not a feature)");
        if (!float.IsFinite(value))
            throw new DataFormatException($"{file}, line {line}, column '{column}': '{Shorten(trimmed)}' is not a finite number; replace NaN and infinite values");
        return value;
    }

    private static string Shorten(string s) => s.Length <= 40 ? s : s[..37] + "...";

    // Reads one record (which may span lines inside quotes) into fields; false at the end of the input.
    private static bool ReadRecord(TextReader reader, char delimiter, List<string> fields, ref int line, string file)
    {
        fields.Clear();
        int next = reader.Peek();
        if (next < 0) return false;
        line++;
        int startLine = line;
        var field = new StringBuilder();
        bool quoted = false, wasQuoted = false;
        while (true)
        {
            int ch = reader.Read();
            if (ch < 0)
            {
                if (quoted) throw new DataFormatException($"{file}, line {startLine}: a quoted field is never closed");
                fields.Add(field.ToString());
                return true;
            }
            char c = (char)ch;
            if (quoted)
            {
                if (c == '"')
                {
                    if (reader.Peek() == '"') { reader.Read(); field.Append('"'); }
                    else quoted = false;
                }
                else
                {
                    if (c == '\n') line++;
                    field.Append(c);
                }
                continue;
            }
            if (c == '"' && field.Length == 0 && !wasQuoted) { quoted = wasQuoted = true; continue; }
            if (c == delimiter) { fields.Add(field.ToString()); field.Clear(); wasQuoted = false; continue; }
            if (c == '\r') { if (reader.Peek() == '\n') reader.Read(); fields.Add(field.ToString()); return true; }
            if (c == '\n') { fields.Add(field.ToString()); return true; }
            if (wasQuoted && !char.IsWhiteSpace(c)) throw new DataFormatException($"{file}, line {line}: text after a closing quote in field {fields.Count + 1}");
            field.Append(c);
        }
    }

    /// <summary>A growable float buffer that doubles its capacity (amortised O(1) appends, no per-row objects).</summary>
    private sealed class FloatBuffer
    {
        private float[] _items = new float[1024];
        private int _count;

        public void Add(float value)
        {
            if (_count == _items.Length) Array.Resize(ref _items, checked(_items.Length * 2));
            _items[_count++] = value;
        }

        public float[] ToArray() => _items.AsSpan(0, _count).ToArray();
    }

    /// <summary>Writes rows as CSV (fields quoted when they contain the delimiter, a quote or a line break).</summary>
    public static string Escape(string field, char delimiter = ',') =>
        field.IndexOfAny([delimiter, '"', '\n', '\r']) >= 0 ? "\"" + field.Replace("\"", "\"\"") + "\"" : field;
}
