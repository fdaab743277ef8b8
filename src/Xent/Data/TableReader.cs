namespace Xent.Data;

/// <summary>Records with a header, read once or twice (a second pass when column types must first be inferred).</summary>
internal interface ICellSource : IDisposable
{
    /// <summary>The header cells as written (before trimming).</summary>
    string[] Header { get; }
    bool Read();
    /// <summary>Where the current record is, as the start of an error message ("t.csv, line 5" or "row 4").</summary>
    string Where { get; }
    /// <summary>The start of a message about the header ("t.csv, line 1").</summary>
    string HeaderWhere { get; }
    int FieldCount { get; }
    /// <summary>The cell as a float when it is plainly one (the fast path); false sends the caller to <see cref="Text"/>.</summary>
    bool TryNumber(int column, out float value);
    string Text(int column);
    /// <summary>Starts again at the first record.</summary>
    void Restart();
    /// <summary>About how many bytes of the input are behind the current record (for progress; 0 when unknown).</summary>
    long BytesRead { get; }
}

/// <summary>Rows of cell texts (from <see cref="Table.FromRows"/>).</summary>
internal sealed class RowSource(string[] header, List<string[]> rows) : ICellSource
{
    private int _row = -1;
    public string[] Header { get; } = header;
    public bool Read() => ++_row < rows.Count;
    public string Where => $"row {_row + 1}";
    public string HeaderWhere => "column names";
    public int FieldCount => rows[_row].Length;
    public bool TryNumber(int column, out float value) => Numbers.TryParse(rows[_row][column], out value);
    public string Text(int column) => rows[_row][column];
    public void Restart() => _row = -1;
    public long BytesRead => 0;
    public void Dispose() { }
}

/// <summary>
/// Reads a header and records into a <see cref="Table"/>: picks the label and feature columns, infers each feature
/// column's type (a column with any cell that is neither a number nor a missing value is categorical) unless an option or
/// a model fixes it, and parses every cell with the checks and one-line messages of <see cref="CsvData"/>.
/// </summary>
internal static class TableReader
{
    internal enum KindSource { Inferred, Option, Model, NumbersOnly }

    /// <summary>The header (trimmed), the feature columns and the label column (−1 when absent), with every header check and its one-line message.</summary>
    internal static (string[] Header, int[] FeatureColumns, int LabelColumn) SelectColumns(ICellSource source, string fileName, CsvOptions options)
    {
        string[] header = source.Header.Select(h => h.Trim()).ToArray();
        if (header.Length == 0)
            throw new DataFormatException($"{fileName}: the file is empty; expected a header row, then one row per example");
        for (int c = 0; c < header.Length; c++)
        {
            if (header[c].Length == 0) throw new DataFormatException($"{source.HeaderWhere}: column {c + 1} has no name in the header row");
            for (int d = 0; d < c; d++)
                if (header[d] == header[c]) throw new DataFormatException($"{source.HeaderWhere}: the column name '{header[c]}' appears twice");
        }
        if (header.Length < 2 && options.LabelRequired && options.FeatureNames is null)
            throw new DataFormatException($"{source.HeaderWhere}: found {header.Length} column; need at least one feature column and a label column (is CsvOptions.Delimiter right?)");

        foreach (string ignored in options.Ignore)
            if (Array.IndexOf(header, ignored) < 0)
                throw new DataFormatException($"{fileName}: CsvOptions.Ignore names the column '{ignored}', which is not in the header ({string.Join(", ", header)})");

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
                throw new DataFormatException($"{fileName}: no label column '{labelName}' in the header ({string.Join(", ", header)}); choose one with CsvOptions.Label");
        }
        else if (options.FeatureNames is not null)
        {
            // With a model's feature list, the label is whatever column is not a feature (if any single one is left).
            string[] rest = header.Where(h => !options.FeatureNames.Contains(h) && !options.Ignore.Contains(h)).ToArray();
            // Only when labels are required (evaluate); for prediction the other columns are simply ignored.
            labelColumn = rest.Length == 1 && options.LabelRequired ? Array.IndexOf(header, rest[0]) : -1;
            if (labelColumn < 0 && options.LabelRequired)
                throw new DataFormatException($"{fileName}: cannot tell which column holds the labels; name it with CsvOptions.Label");
        }
        else labelColumn = header.Length - 1;

        int[] featureColumns;
        if (modelFeatureColumns is not null) featureColumns = modelFeatureColumns;
        else
        {
            featureColumns = Enumerable.Range(0, header.Length).Where(c => c != labelColumn && !options.Ignore.Contains(header[c])).ToArray();
            if (featureColumns.Length == 0) throw new DataFormatException($"{fileName}: no feature columns are left after the label and CsvOptions.Ignore");
        }

        return (header, featureColumns, labelColumn);
    }

    public static Table Read(ICellSource source, string fileName, CsvOptions options)
    {
        (string[] header, int[] featureColumns, int labelColumn) = SelectColumns(source, fileName, options);
        (ColumnKind?[] kinds, KindSource[] sources) = FixedKinds(header, featureColumns, labelColumn, fileName, options);
        bool[] open = kinds.Select(k => k is null).ToArray();
        if (!open.Any(o => o))
            return ReadRecords(source, fileName, options, header, featureColumns, labelColumn, kinds.Select(k => k!.Value).ToArray(), sources, null);
        // Optimistically, the open columns are numeric: one pass reads them so. Only when a text cell turns up does the
        // reader start again, with a first pass that settles every open column's type (so a numeric file is read once).
        try
        {
            return ReadRecords(source, fileName, options, header, featureColumns, labelColumn, kinds.Select(k => k ?? ColumnKind.Numeric).ToArray(), sources, open);
        }
        catch (TypesUnsettledException) { }
        source.Restart();
        InferKinds(source, header.Length, featureColumns, labelColumn, kinds, options);
        source.Restart();
        return ReadRecords(source, fileName, options, header, featureColumns, labelColumn, kinds.Select(k => k!.Value).ToArray(), sources, null);
    }

    /// <summary>
    /// The rows in tables of at most <paramref name="rowsPerChunk"/> rows, one after another, for data read by a model's
    /// columns (every kind fixed, and the classes when there is a label column): memory holds one chunk, whatever the
    /// data's size. The checks and messages are those of <see cref="Read"/>.
    /// </summary>
    internal static IEnumerable<Table> ReadChunks(ICellSource source, string fileName, CsvOptions options, int rowsPerChunk)
    {
        (string[] header, int[] featureColumns, int labelColumn) = SelectColumns(source, fileName, options);
        (ColumnKind?[] kinds, KindSource[] sources) = FixedKinds(header, featureColumns, labelColumn, fileName, options);
        if (kinds.Any(k => k is null) || labelColumn >= 0 && options.ClassNames is null)
            throw new InvalidOperationException("reading in chunks needs every column's kind and the classes fixed (a model's ReadingOptions)");
        ColumnKind[] fixedKinds = kinds.Select(k => k!.Value).ToArray();
        DataFormatException? putAside = null;
        for (bool first = true; ; first = false)
        {
            Table chunk = ReadRecords(source, fileName, options, header, featureColumns, labelColumn, fixedKinds, sources, null, ref putAside, rowsPerChunk, first);
            if (chunk.RowCount == 0 && !first) yield break;
            yield return chunk;
            if (chunk.RowCount < rowsPerChunk) yield break;
        }
    }

    // The optimistic pass met a text cell in an open column, or an error that a not yet settled type might explain away.
    internal sealed class TypesUnsettledException : Exception
    {
    }

    // A cell that makes an open column categorical: neither a number (plain, spoilt by a comma, or not finite) nor missing.
    internal static bool IsText(string trimmed, MissingValues missing)
    {
        if (missing == MissingValues.Impute && MissingCells.IsMissing(trimmed) || trimmed.Length == 0) return false;
        return !(Numbers.TryParse(trimmed, out float _) || Numbers.IsNonFinite(trimmed) || IsCommaNumber(trimmed));
    }

    // The types that options or a model fix; null where the data decides.
    internal static (ColumnKind?[], KindSource[]) FixedKinds(string[] header, int[] featureColumns, int labelColumn, string fileName, CsvOptions options)
    {
        var kinds = new ColumnKind?[featureColumns.Length];
        var sources = new KindSource[featureColumns.Length];
        if (options.NumbersOnly)
        {
            Array.Fill(kinds, ColumnKind.Numeric);
            Array.Fill(sources, KindSource.NumbersOnly);
            return (kinds, sources);
        }
        if (options.FeatureKinds is { } modelKinds)
        {
            if (options.FeatureNames is null || modelKinds.Count != options.FeatureNames.Count)
                throw new ArgumentException("FeatureKinds needs FeatureNames of the same length", nameof(options));
            for (int i = 0; i < kinds.Length; i++) { kinds[i] = modelKinds[i]; sources[i] = KindSource.Model; }
            return (kinds, sources);
        }
        void Apply(IReadOnlyList<string> names, string option, ColumnKind kind)
        {
            foreach (string name in names)
            {
                int column = Array.IndexOf(header, name);
                if (column < 0)
                    throw new DataFormatException($"{fileName}: {option} names the column '{name}', which is not in the header ({string.Join(", ", header)})");
                if (column == labelColumn)
                    throw new DataFormatException($"{fileName}: {option} names '{name}', the label column; it names feature columns only");
                int feature = Array.IndexOf(featureColumns, column);
                if (feature < 0) throw new DataFormatException($"{fileName}: {option} names '{name}', which CsvOptions.Ignore drops");
                if (kinds[feature] is { } already && already != kind)
                    throw new DataFormatException($"{fileName}: CsvOptions.Categorical and CsvOptions.Numeric both name the column '{name}'");
                kinds[feature] = kind;
                sources[feature] = KindSource.Option;
            }
        }
        Apply(options.Categorical, "CsvOptions.Categorical", ColumnKind.Categorical);
        Apply(options.Numeric, "CsvOptions.Numeric", ColumnKind.Numeric);
        return (kinds, sources);
    }

    // The first pass: a column the options leave open is categorical when any cell is text (not a number, a number
    // spoilt by a comma, or a missing value); otherwise numeric, and the second pass reports any bad number in it.
    internal static void InferKinds(ICellSource source, int width, int[] featureColumns, int labelColumn, ColumnKind?[] kinds, CsvOptions options)
    {
        var open = Enumerable.Range(0, kinds.Length).Where(i => kinds[i] is null).ToList();
        try
        {
            while (open.Count > 0 && source.Read())
            {
                if (source.FieldCount != width) continue;   // reported by the second pass
                if (options.DropUnlabelled && labelColumn >= 0 && ClassLabels.Normalize(source.Text(labelColumn)) is var label && (label.Length == 0 || !ClassLabels.IsValid(label)))
                    continue;   // a row left out does not decide a type
                for (int k = open.Count - 1; k >= 0; k--)
                {
                    int column = featureColumns[open[k]];
                    if (source.TryNumber(column, out _) || !IsText(source.Text(column).Trim(), options.Missing)) continue;
                    kinds[open[k]] = ColumnKind.Categorical;
                    open.RemoveAt(k);
                }
            }
        }
        catch (Exception e) when (e is not DataFormatException and not OutOfMemoryException)
        {
            // A malformed record ends the first pass; the second pass reaches it and reports it with its line.
        }
        foreach (int i in open) kinds[i] = ColumnKind.Numeric;
    }

    private static bool IsCommaNumber(string trimmed) => trimmed.Contains(',') && Numbers.TryParse(trimmed.Replace(",", ""), out float _);

    // With open (the optimistic pass): open columns are read as numbers; a text cell in one throws TypesUnsettledException,
    // and so does any error once a bad number in an open column has been put aside (it is reported only if its column
    // stays numeric to the end, as the first error of the file).
    private static Table ReadRecords(ICellSource source, string fileName, CsvOptions options, string[] header, int[] featureColumns, int labelColumn,
        ColumnKind[] kinds, KindSource[] sources, bool[]? open)
    {
        DataFormatException? putAside = null;
        try { return ReadRecords(source, fileName, options, header, featureColumns, labelColumn, kinds, sources, open, ref putAside); }
        catch (DataFormatException) when (putAside is not null) { throw new TypesUnsettledException(); }
    }

    // Reads the records that are left, or at most maxRows of them (the next chunk; firstChunk says whether it is the first).
    private static Table ReadRecords(ICellSource source, string fileName, CsvOptions options, string[] header, int[] featureColumns, int labelColumn,
        ColumnKind[] kinds, KindSource[] sources, bool[]? open, ref DataFormatException? putAside, int maxRows = int.MaxValue, bool firstChunk = true)
    {
        var numbers = new FloatBuffer?[featureColumns.Length];
        var categories = new List<string?>?[featureColumns.Length];
        var interned = new Dictionary<string, string>?[featureColumns.Length];
        for (int f = 0; f < featureColumns.Length; f++)
        {
            if (kinds[f] == ColumnKind.Numeric) numbers[f] = new FloatBuffer();
            else { categories[f] = []; interned[f] = new Dictionary<string, string>(StringComparer.Ordinal); }
        }
        // A model's class names are matched after the same normalisation, so "1.0" in a test file finds the class "1".
        Dictionary<string, int>? fixedClasses = null;
        if (options.ClassNames is { } known)
        {
            fixedClasses = new Dictionary<string, int>(StringComparer.Ordinal);
            for (int i = 0; i < known.Count; i++) fixedClasses.TryAdd(ClassLabels.Normalize(known[i]), i);
        }
        var labels = new List<int>();
        var seenClasses = new Dictionary<string, int>(StringComparer.Ordinal);
        int rows = 0, dropped = 0;
        while (rows < maxRows && source.Read())
        {
            if (source.FieldCount != header.Length)
                throw new DataFormatException($"{source.Where}: {source.FieldCount} fields but the header has {header.Length}; every row needs one value per column");
            string? label = labelColumn >= 0 ? ClassLabels.Normalize(source.Text(labelColumn)) : null;
            if (label is not null && options.DropUnlabelled && (label.Length == 0 || !ClassLabels.IsValid(label)))
            {
                dropped++;
                continue;
            }
            for (int f = 0; f < featureColumns.Length; f++)
            {
                int c = featureColumns[f];
                if (numbers[f] is { } buffer)
                {
                    if (source.TryNumber(c, out float value) && float.IsFinite(value)) buffer.Add(value);
                    else if (open is not null && open[f])
                    {
                        string text = source.Text(c);
                        if (IsText(text.Trim(), options.Missing)) throw new TypesUnsettledException();
                        try { buffer.Add(ParseNumber(text, source.Where, header[c], sources[f], options.Missing)); }
                        catch (DataFormatException e)
                        {
                            putAside ??= e;
                            buffer.Add(float.NaN);
                        }
                    }
                    else buffer.Add(ParseNumber(source.Text(c), source.Where, header[c], sources[f], options.Missing));
                }
                else if (Category(source.Text(c), options.Missing, source.Where, header[c]) is not { } category) categories[f]!.Add(null);
                else
                {
                    if (!interned[f]!.TryGetValue(category, out string? same)) interned[f]![category] = same = category;
                    categories[f]!.Add(same);
                }
            }
            if (label is not null)
            {
                CheckLabel(label, source.Where, header[labelColumn]);
                if (fixedClasses is not null)
                {
                    if (!fixedClasses.TryGetValue(label, out int index))
                        throw new DataFormatException($"{source.Where}, column '{header[labelColumn]}': the class '{label}' is not one the model knows ({string.Join(", ", options.ClassNames!)})");
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
        // Every open column stayed numeric, so the first bad number put aside is the file's first error.
        if (putAside is { } first)
        {
            putAside = null;
            throw first;
        }
        // A share of the rows may be empty or hold one class: the caller checks all shares together.
        if (rows == 0 && options.Share is null && firstChunk)
            throw new DataFormatException(dropped > 0 ? $"{fileName}: every row lacks a label, so CsvOptions.DropUnlabelled left none" : $"{fileName}: the header is followed by no data rows");

        IReadOnlyList<string> classNames;
        int[]? labelArray = null;
        if (labelColumn >= 0)
        {
            if (fixedClasses is not null) { classNames = options.ClassNames!; labelArray = labels.ToArray(); }
            else
            {
                if (seenClasses.Count < 2 && options.Share is null)
                    throw new DataFormatException(OneClass(fileName, header[labelColumn], seenClasses.Keys.First()));
                // Classes in sorted order (numerically when every label is a number), as scikit-learn's LabelEncoder does.
                string[] sorted = SortClassNames(seenClasses.Keys);
                var remap = new int[sorted.Length];
                for (int i = 0; i < sorted.Length; i++) remap[seenClasses[sorted[i]]] = i;
                labelArray = labels.Select(l => remap[l]).ToArray();
                classNames = sorted;
            }
        }
        else classNames = options.ClassNames ?? [];

        var columns = new FeatureColumn[featureColumns.Length];
        for (int f = 0; f < columns.Length; f++)
            columns[f] = numbers[f] is { } buffer
                ? FeatureColumn.Numeric(header[featureColumns[f]], buffer.ToArray())
                : FeatureColumn.Categorical(header[featureColumns[f]], categories[f]!.ToArray());
        return new Table(columns, labelArray, classNames, labelColumn >= 0 ? header[labelColumn] : null) { DroppedRows = dropped };
    }

    // A categorical cell: its trimmed text, or null when it is missing (an error under MissingValues.Error).
    internal static string? Category(string text, MissingValues missing, string where, string column)
    {
        string trimmed = text.Trim();
        if (!(missing == MissingValues.Impute ? MissingCells.IsMissing(trimmed) : trimmed.Length == 0)) return trimmed;
        if (missing == MissingValues.Error)
            throw new DataFormatException($"{where}, column '{column}': missing value; fill it in or drop the row (or set CsvOptions.Missing to Impute)");
        return null;
    }

    // A normalised label that names a class: not empty, not NaN or an infinity.
    internal static void CheckLabel(string label, string where, string column)
    {
        if (label.Length == 0) throw new DataFormatException($"{where}, column '{column}': the label is missing");
        if (!ClassLabels.IsValid(label))
            throw new DataFormatException($"{where}, column '{column}': '{Shorten(label)}' is not a valid label (NaN and infinities cannot name a class)");
    }

    internal static string OneClass(string fileName, string labelColumn, string className) =>
        $"{fileName}, column '{labelColumn}': every row has the class '{className}'; a classifier needs at least two classes";

    internal static string[] SortClassNames(IEnumerable<string> names)
    {
        string[] all = names.ToArray();
        bool numeric = all.All(n => ClassLabels.TryNumber(n, out _));
        return numeric
            ? all.OrderBy(n => { ClassLabels.TryNumber(n, out double v); return v; }).ThenBy(n => n, StringComparer.Ordinal).ToArray()
            : all.OrderBy(n => n, StringComparer.Ordinal).ToArray();
    }

    // The slow path of a numeric cell: a missing value (NaN when imputing), or an error saying what is wrong with it.
    internal static float ParseNumber(string text, string where, string name, KindSource kindSource, MissingValues missing)
    {
        // Strict and culture-free: digits, one '.', an optional sign and exponent. "1,000" or "1,5" is an error, never
        // 1000 or 15 (a thousands separator or a decimal comma dropped silently would scale the feature).
        string trimmed = text.Trim();
        if (missing == MissingValues.Impute && kindSource != KindSource.NumbersOnly && MissingCells.IsMissing(trimmed)) return float.NaN;
        if (Numbers.TryParse(trimmed, out float value) && float.IsFinite(value)) return value;
        if (trimmed.Length == 0) throw new DataFormatException($"{where}, column '{name}': missing value; fill it in or drop the row");
        if (!Numbers.IsNonFinite(trimmed) && Numbers.TryParse(trimmed, out float huge) && float.IsInfinity(huge))
            throw new DataFormatException($"{where}, column '{name}': '{Shorten(trimmed)}' is outside the float32 range (about ±3.4e38); rescale the column");
        if (Numbers.IsNonFinite(trimmed))
            throw new DataFormatException($"{where}, column '{name}': '{Shorten(trimmed)}' is not a finite number; replace NaN and infinite values");
        if (IsCommaNumber(trimmed))
            throw new DataFormatException($"{where}, column '{name}': '{Shorten(trimmed)}' has a comma; numbers must use '.' for the decimal point and no thousands separators (is CsvOptions.Delimiter right?)");
        string hint = kindSource switch
        {
            KindSource.Option => $"; CsvOptions.Numeric names '{name}', so every value must be a number (leave it out to read the column as categories)",
            KindSource.Model => $" (the model reads '{name}' as a numeric column)",
            _ => " (drop the column with CsvOptions.Ignore if it is not a feature)",
        };
        throw new DataFormatException($"{where}, column '{name}': '{Shorten(trimmed)}' is not a number{hint}");
    }

    internal static string Shorten(string s) => s.Length <= 40 ? s : s[..37] + "...";

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
}
