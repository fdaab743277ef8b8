using CsvHelper;

namespace Xent.Data;

/// <summary>A problem in an input file, located by file, line and column. Its message is one line a user can act on.</summary>
/// <param name="message">One line that names the file (and line and column, or row group and row, where there is one) and the problem.</param>
public sealed class DataFormatException(string message) : FormatException(message)
{
}

/// <summary>How to read a CSV file into a data set.</summary>
public sealed record CsvOptions
{
    /// <summary>The field separator: ',' by default, ';' or '\t' are common; a double quote or a character that numbers contain (a digit, '.', '-', '+', 'e') cannot work as one.</summary>
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

    /// <summary>When set (from a saved model, with <see cref="FeatureNames"/>), each feature's type; nothing is inferred.</summary>
    public IReadOnlyList<ColumnKind>? FeatureKinds { get; init; }

    /// <summary>Feature columns read as categories even when every value is a number (e.g. postcodes). Errors name the option.</summary>
    public IReadOnlyList<string> Categorical { get; init; } = [];

    /// <summary>Feature columns that must hold numbers; a text value in one is an error naming the option.</summary>
    public IReadOnlyList<string> Numeric { get; init; } = [];

    /// <summary>Whether missing feature values are imputed (the default) or errors.</summary>
    public MissingValues Missing { get; init; } = MissingValues.Impute;

    /// <summary>Leave out rows whose label is missing (empty, NaN) instead of stopping at the first.</summary>
    public bool DropUnlabelled { get; init; }

    // CsvData.Read: every feature a number, no missing values (the numeric reader's contract).
    internal bool NumbersOnly { get; init; }
    // A streamed pass's bound on the memory one Parquet row group may take (larger groups are read a column chunk at a
    // time through a spill file in SpillFolder; see ParquetCells); unbounded when reading into memory.
    internal long ParquetGroupBytes { get; init; } = long.MaxValue;
    internal string? SpillFolder { get; init; }

    /// <summary>
    /// When set, only the data rows this share owns are parsed and kept (the others are skipped unread); a share may be
    /// empty or hold a single class, which the caller checks across all shares.
    /// </summary>
    public Distributed.RowShare? Share { get; init; }
}

/// <summary>The rows of a CSV file: the float32 feature matrix and, when the label column was present, the labels.</summary>
/// <param name="Features">Row-major [RowCount, FeatureNames.Count] feature values.</param>
/// <param name="Labels">A class index per row into <paramref name="ClassNames"/>, or null when the file had no label column.</param>
/// <param name="FeatureNames">The feature columns' header names, in order.</param>
/// <param name="ClassNames">The classes, numbered in sorted order (numerically when every label is a number).</param>
/// <param name="RowCount">The number of data rows.</param>
public sealed record CsvTable(float[] Features, int[]? Labels, IReadOnlyList<string> FeatureNames, IReadOnlyList<string> ClassNames, int RowCount)
{
    /// <summary>The header name of the label column, when the file had one.</summary>
    public string? LabelColumn { get; init; }

    /// <summary>The rows as a <see cref="Dataset"/>, sharing the arrays.</summary>
    /// <returns>The labelled data set.</returns>
    /// <exception cref="InvalidOperationException">The file had no label column.</exception>
    public Dataset ToDataset() => Labels is null
        ? throw new InvalidOperationException("the table has no label column")
        : new Dataset(Features, Labels, FeatureNames, ClassNames);
}

/// <summary>
/// Reads CSV files (RFC 4180: a header row, a delimiter, fields optionally in double quotes with "" for a quote, CRLF or LF)
/// record by record into typed columns (<see cref="ReadTable(string, CsvOptions?)"/>: numeric columns as float32, categories
/// interned once per distinct value) or a float32 matrix (<see cref="Read(string, CsvOptions?)"/>), so memory holds the
/// numbers, not the text. A column whose type is open is first read as numbers; only when a text value turns up in one is
/// the file read again, after a pass that settles the types (so an all-numeric file is read once). CsvHelper tokenises (reading a
/// 20,000 × 30 file took 47 ms against 118 ms for the hand-written reader it replaced: bench/Xent.Bench CsvBenchmarks);
/// every check and every error message,
/// which names the file, the line and the column, is Xent's.
/// </summary>
public static class CsvData
{
    /// <summary>
    /// Reads a file of numbers only: every feature column must hold a finite number in every row (the categorical and
    /// missing-value options do not apply). For tables with categories or missing values use <see cref="ReadTable(string, CsvOptions?)"/>.
    /// </summary>
    /// <param name="path">A CSV file (or a Parquet file, a folder of shards, or a glob; see <see cref="DataSource"/>).</param>
    /// <param name="options">How to read it; null for the defaults (',' and the last column as the label).</param>
    /// <returns>The float32 feature matrix, the labels and the names.</returns>
    /// <exception cref="DataFormatException">A problem in the file or the options; the one-line message names the file, line and column.</exception>
    public static CsvTable Read(string path, CsvOptions? options = null) => ToNumeric(ReadTable(path, (options ?? new CsvOptions()) with { NumbersOnly = true }));

    /// <inheritdoc cref="Read(string, CsvOptions?)"/>
    /// <param name="reader">The CSV text, header first.</param>
    /// <param name="fileName">The name messages give the text.</param>
    /// <param name="options">How to read it.</param>
    /// <returns>The float32 feature matrix, the labels and the names.</returns>
    public static CsvTable Read(TextReader reader, string fileName, CsvOptions options) => ToNumeric(ReadTable(reader, fileName, options with { NumbersOnly = true }));

    /// <summary>
    /// Reads a file into a <see cref="Table"/> of typed columns. A feature column is categorical when any value in it is
    /// neither a number nor missing (or when <see cref="CsvOptions.Categorical"/> names it), numeric otherwise; missing
    /// values (empty, NA, N/A, NaN, nan) are kept as missing unless <see cref="CsvOptions.Missing"/> is
    /// <see cref="MissingValues.Error"/>. A numeric column still refuses spoilt numbers ('1,5', '1,000', infinities, values
    /// outside float32) with a message naming the file, line and column.
    /// </summary>
    /// <param name="path">A CSV file (or a Parquet file, a folder of shards, or a glob; see <see cref="DataSource"/>).</param>
    /// <param name="options">How to read it; null for the defaults.</param>
    /// <returns>The table of typed columns, labelled when the label column is there.</returns>
    /// <exception cref="DataFormatException">A problem in the file or the options; the one-line message names the file, line and column, or the option.</exception>
    public static Table ReadTable(string path, CsvOptions? options = null)
    {
        options ??= new CsvOptions();
        return ReadTable(DataSource.Open(path), options);
    }

    /// <summary>
    /// Reads every shard of a source (CSV or Parquet files, <see cref="DataSource"/>) into one <see cref="Table"/>, with the
    /// same inference, options and one-line errors as for one CSV file; each error names the shard.
    /// </summary>
    /// <param name="source">The shards, from <see cref="DataSource.Open"/>.</param>
    /// <param name="options">How to read them.</param>
    /// <returns>One table of all shards' rows, in shard order.</returns>
    /// <exception cref="DataFormatException">A problem in a shard or the options; the message names the shard.</exception>
    public static Table ReadTable(DataSource source, CsvOptions options)
    {
        using ICellSource cells = source.OpenCells(options);
        return TableReader.Read(cells, source.DisplayName, options);
    }

    /// <summary>
    /// The shards' rows read by a model's columns (<c>Classifier.ReadingOptions</c>) in tables of at most
    /// <paramref name="rowsPerChunk"/> rows, each read when the previous one is done with: prediction over data of any size
    /// in bounded memory. The checks and messages are those of <see cref="ReadTable(DataSource, CsvOptions)"/>.
    /// </summary>
    internal static IEnumerable<Table> ReadTableChunks(DataSource source, CsvOptions options, int rowsPerChunk)
    {
        using ICellSource cells = source.OpenCells(options);
        foreach (Table chunk in TableReader.ReadChunks(cells, source.DisplayName, options, rowsPerChunk)) yield return chunk;
    }

    internal static ICellSource OpenCells(string path, CsvOptions options)
    {
        CsvReaderOptions readerOptions = ReaderOptions(options);
        // The row share, if any, is applied across all shards by DataSource, so a shard reads every record.
        return new CsvSource(() => CsvReader.FromFile(path, readerOptions, FileOptions.SequentialScan), Path.GetFileName(path), null);
    }

    /// <inheritdoc cref="ReadTable(string, CsvOptions?)"/>
    /// <param name="reader">The CSV text, header first.</param>
    /// <param name="fileName">The name messages give the text.</param>
    /// <param name="options">How to read it.</param>
    /// <returns>The table of typed columns, labelled when the label column is there.</returns>
    public static Table ReadTable(TextReader reader, string fileName, CsvOptions options)
    {
        // Held as text so that a second pass (after inferring the column types) can read it again.
        string text = reader.ReadToEnd();
        CsvReaderOptions readerOptions = ReaderOptions(options);
        using var source = new CsvSource(() => CsvReader.Create(new StringReader(text), readerOptions, true), fileName, options.Share);
        return TableReader.Read(source, fileName, options);
    }

    private static CsvTable ToNumeric(Table table)
    {
        int rows = table.RowCount, width = table.Columns.Count;
        var features = new float[(long)rows * width];
        for (int c = 0; c < width; c++)
        {
            float[] values = table.Columns[c].Numbers;
            for (int r = 0; r < rows; r++) features[(long)r * width + c] = values[r];
        }
        return new CsvTable(features, table.Labels, table.Columns.Select(c => c.Name).ToArray(), table.ClassNames, rows) { LabelColumn = table.LabelColumn };
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

    // CsvHelper's records as cells; a malformed record becomes a DataFormatException naming the file and line. With a
    // share, the records of other shares are skipped (tokenised, never parsed).
    private sealed class CsvSource : ICellSource
    {
        private readonly Func<CsvReader> _open;
        private readonly string _fileName;
        private readonly Distributed.RowShare _share;
        private CsvReader _csv;
        private int _line;
        private long _record;

        public CsvSource(Func<CsvReader> open, string fileName, Distributed.RowShare? share)
        {
            _open = open;
            _fileName = fileName;
            _share = share ?? Distributed.RowShare.Whole;
            _csv = Guard(open);
            Header = Guard(() => _csv.Headers.ToArray());
        }

        public string[] Header { get; }
        public string Where => $"{_fileName}, line {_line}";
        public string HeaderWhere => $"{_fileName}, line 1";
        public int FieldCount => _csv.FieldCount;

        public bool Read()
        {
            bool more;
            do more = Guard(_csv.Read);
            while (more && !_share.Owns(_record++));
            if (more) _line = (int)_csv.LineNumber;
            return more;
        }

        public bool TryNumber(int column, out float value) => Numbers.TryParseUtf8(_csv[column].Span, out value);
        public string Text(int column) => _csv[column].ToString();

        public void Restart()
        {
            _csv.Dispose();
            _csv = Guard(_open);
            _record = 0;
        }

        public long BytesRead => _csv.ByteOffset;

        public void Dispose() => _csv.Dispose();

        private T Guard<T>(Func<T> body)
        {
            try { return body(); }
            catch (CsvFormatException e)
            {
                string where = TryLine() is int line ? $", line {line}" : "";
                throw new DataFormatException($"{_fileName}{where}: malformed CSV ({e.Message.ReplaceLineEndings(" ").TrimEnd('.')}); check the quotes and CsvOptions.Delimiter");
            }
        }

        private int? TryLine()
        {
            try { return _csv is null ? null : (int)_csv.LineNumber; }
            catch (InvalidOperationException) { return null; }
        }
    }

    /// <summary>Class names in the order classes are numbered: numerically when every name is a number, else ordinally.</summary>
    internal static string[] SortClassNames(IEnumerable<string> names) => TableReader.SortClassNames(names);

    /// <summary>The message for a label column with a single class.</summary>
    internal static string OneClass(string fileName, string labelColumn, string className) => TableReader.OneClass(fileName, labelColumn, className);

    /// <summary>Writes rows as CSV (fields quoted when they contain the delimiter, a quote or a line break).</summary>
    internal static string Escape(string field, char delimiter = ',') =>
        field.IndexOfAny([delimiter, '"', '\n', '\r']) >= 0 ? "\"" + field.Replace("\"", "\"\"") + "\"" : field;
}
