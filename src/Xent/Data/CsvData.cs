using CsvHelper;

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
    /// <summary>The header name of the label column, when the file had one.</summary>
    public string? LabelColumn { get; init; }

    public Dataset ToDataset() => Labels is null
        ? throw new InvalidOperationException("the table has no label column")
        : new Dataset(Features, Labels, FeatureNames, ClassNames);
}

/// <summary>
/// Reads CSV files (RFC 4180: a header row, a delimiter, fields optionally in double quotes with "" for a quote, CRLF or LF)
/// record by record into a float32 matrix, so memory holds the numbers, not the text. CsvHelper tokenises (reading a
/// 20,000 × 30 file took 47 ms against 118 ms for the hand-written reader it replaced: bench/Xent.Bench CsvBenchmarks);
/// every check and every error message,
/// which names the file, the line and the column, is Xent's.
/// </summary>
public static class CsvData
{
    public static CsvTable Read(string path, CsvOptions? options = null)
    {
        if (Directory.Exists(path)) throw new DataFormatException($"{path} is a folder; give a CSV file");
        if (!File.Exists(path)) throw new DataFormatException($"{path}: no such file");
        options ??= new CsvOptions();
        using CsvReader csv = CsvReader.FromFile(path, ReaderOptions(options), FileOptions.SequentialScan);
        return Read(csv, Path.GetFileName(path), options);
    }

    public static CsvTable Read(TextReader reader, string fileName, CsvOptions options)
    {
        using CsvReader csv = CsvReader.Create(reader, ReaderOptions(options), true);
        return Read(csv, fileName, options);
    }

    // CsvHelper does the tokenising (RFC 4180 quoting, CRLF or LF, UTF-8); ragged rows and every other check are ours.
    private static CsvReaderOptions ReaderOptions(CsvOptions options) => new()
    {
        Separator = options.Delimiter,
        HasHeader = true,
        TrackLineNumbers = true,
        SkipEmptyLines = true,
        FieldCountMismatch = CsvFieldCountHandling.Allow,
        MissingField = CsvMissingFieldHandling.ReturnEmpty,
        MalformedData = CsvMalformedDataHandling.Throw,
    };

    private static CsvTable Read(CsvReader csv, string fileName, CsvOptions options)
    {
        try { return ReadRecords(csv, fileName, options); }
        catch (CsvFormatException e)
        {
            string where = TryLine(csv) is int line ? $", line {line}" : "";
            throw new DataFormatException($"{fileName}{where}: malformed CSV ({e.Message.ReplaceLineEndings(" ").TrimEnd('.')}); check the quotes and the --delimiter");
        }
    }

    private static int? TryLine(CsvReader csv)
    {
        try { return (int)csv.LineNumber; }
        catch (InvalidOperationException) { return null; }
    }

    private static CsvTable ReadRecords(CsvReader csv, string fileName, CsvOptions options)
    {
        string[] header = csv.Headers.Select(h => h.Trim()).ToArray();
        if (header.Length == 0)
            throw new DataFormatException($"{fileName}: the file is empty; expected a header row, then one row per example");
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
        // A model's class names are matched after the same normalisation, so "1.0" in a test file finds the class "1".
        Dictionary<string, int>? fixedClasses = null;
        if (options.ClassNames is { } known)
        {
            fixedClasses = new Dictionary<string, int>(StringComparer.Ordinal);
            for (int i = 0; i < known.Count; i++) fixedClasses.TryAdd(ClassLabels.Normalize(known[i]), i);
        }
        var labels = new List<int>();
        var seenClasses = new Dictionary<string, int>(StringComparer.Ordinal);
        int rows = 0;
        while (csv.Read())
        {
            int line = (int)csv.LineNumber;
            if (csv.FieldCount != header.Length)
                throw new DataFormatException($"{fileName}, line {line}: {csv.FieldCount} fields but the header has {header.Length}; every row needs one value per column");
            foreach (int c in featureColumns)
                features.Add(ParseNumber(csv, c, fileName, line, header[c]));
            if (labelColumn >= 0)
            {
                string label = ClassLabels.Normalize(csv[labelColumn].ToString());
                if (label.Length == 0) throw new DataFormatException($"{fileName}, line {line}, column '{header[labelColumn]}': the label is missing");
                if (!ClassLabels.IsValid(label))
                    throw new DataFormatException($"{fileName}, line {line}, column '{header[labelColumn]}': '{Shorten(label)}' is not a valid label (NaN and infinities cannot name a class)");
                if (fixedClasses is not null)
                {
                    if (!fixedClasses.TryGetValue(label, out int index))
                        throw new DataFormatException($"{fileName}, line {line}, column '{header[labelColumn]}': the class '{label}' is not one the model knows ({string.Join(", ", options.ClassNames!)})");
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
        return new CsvTable(features.ToArray(), labelArray, featureNames, classNames, rows) { LabelColumn = labelColumn >= 0 ? header[labelColumn] : null };
    }

    private static string[] SortClassNames(IEnumerable<string> names)
    {
        string[] all = names.ToArray();
        bool numeric = all.All(n => ClassLabels.TryNumber(n, out _));
        return numeric
            ? all.OrderBy(n => { ClassLabels.TryNumber(n, out double v); return v; }).ThenBy(n => n, StringComparer.Ordinal).ToArray()
            : all.OrderBy(n => n, StringComparer.Ordinal).ToArray();
    }

    private static float ParseNumber(CsvReader csv, int column, string file, int line, string name)
    {
        // Strict and culture-free: digits, one '.', an optional sign and exponent. "1,000" or "1,5" is an error, never
        // 1000 or 15 (a thousands separator or a decimal comma dropped silently would scale the feature).
        if (Numbers.TryParseUtf8(csv[column].Span, out float value) && float.IsFinite(value)) return value;
        string trimmed = csv[column].ToString().Trim();
        if (trimmed.Length == 0) throw new DataFormatException($"{file}, line {line}, column '{name}': missing value; fill it in or drop the row");
        if (!Numbers.IsNonFinite(trimmed) && Numbers.TryParse(trimmed, out float huge) && float.IsInfinity(huge))
            throw new DataFormatException($"{file}, line {line}, column '{name}': '{Shorten(trimmed)}' is outside the float32 range (about ±3.4e38); rescale the column");
        if (Numbers.IsNonFinite(trimmed))
            throw new DataFormatException($"{file}, line {line}, column '{name}': '{Shorten(trimmed)}' is not a finite number; replace NaN and infinite values");
        if (trimmed.Contains(',') && Numbers.TryParse(trimmed.Replace(",", ""), out float _))
            throw new DataFormatException($"{file}, line {line}, column '{name}': '{Shorten(trimmed)}' has a comma; numbers must use '.' for the decimal point and no thousands separators (is --delimiter right?)");
        throw new DataFormatException($"{file}, line {line}, column '{name}': '{Shorten(trimmed)}' is not a number (drop the column with --ignore if it is not a feature)");
    }

    private static string Shorten(string s) => s.Length <= 40 ? s : s[..37] + "...";

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
