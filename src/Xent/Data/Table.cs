namespace Xent.Data;

/// <summary>The spellings of a missing cell.</summary>
internal static class MissingCells
{
    /// <summary>True for a cell, already trimmed, that stands for a missing value: empty, <c>NA</c>, <c>N/A</c>, <c>NaN</c> or <c>nan</c> (case as written).</summary>
    public static bool IsMissing(ReadOnlySpan<char> trimmed) =>
        trimmed.Length == 0 || trimmed is "NA" or "N/A" or "NaN" or "nan";

    /// <summary>The spellings <see cref="IsMissing"/> accepts, empty first.</summary>
    public static readonly IReadOnlyList<string> Spellings = ["", "NA", "N/A", "NaN", "nan"];
}

/// <summary>
/// One feature column of a <see cref="Table"/>: numbers (NaN where a value is missing) or categories (null where missing).
/// </summary>
public sealed class FeatureColumn
{
    private FeatureColumn(string name, ColumnKind kind, float[] numbers, string?[] categories)
    {
        Name = name;
        Kind = kind;
        Numbers = numbers;
        Categories = categories;
        int missing = 0;
        if (kind == ColumnKind.Numeric) { foreach (float v in numbers) if (float.IsNaN(v)) missing++; }
        else foreach (string? c in categories) if (c is null) missing++;
        MissingCount = missing;
    }

    /// <summary>A numeric column; NaN marks a missing value, infinities are not allowed.</summary>
    /// <param name="name">The column's name, as in a header.</param>
    /// <param name="values">One value per row (NaN = missing), used without copying.</param>
    /// <returns>The column.</returns>
    /// <exception cref="ArgumentException">A value is infinite.</exception>
    public static FeatureColumn Numeric(string name, float[] values)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(values);
        foreach (float v in values)
            if (float.IsInfinity(v)) throw new ArgumentException($"column '{name}' holds an infinite value", nameof(values));
        return new FeatureColumn(name, ColumnKind.Numeric, values, []);
    }

    /// <summary>A categorical column; null marks a missing value. Categories are trimmed of surrounding whitespace.</summary>
    /// <param name="name">The column's name, as in a header.</param>
    /// <param name="values">One category per row (null = missing).</param>
    /// <returns>The column, holding the trimmed categories.</returns>
    public static FeatureColumn Categorical(string name, string?[] values)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(values);
        var trimmed = new string?[values.Length];
        for (int i = 0; i < values.Length; i++) trimmed[i] = values[i]?.Trim();
        return new FeatureColumn(name, ColumnKind.Categorical, [], trimmed);
    }

    /// <summary>The column's name, as in the header; models match columns by it.</summary>
    public string Name { get; }
    /// <summary>Whether the column holds numbers or categories.</summary>
    public ColumnKind Kind { get; }
    /// <summary>The values of a numeric column (NaN = missing); empty for a categorical column.</summary>
    public float[] Numbers { get; }
    /// <summary>The values of a categorical column (null = missing); empty for a numeric column.</summary>
    public string?[] Categories { get; }
    /// <summary>The number of rows.</summary>
    public int RowCount => Kind == ColumnKind.Numeric ? Numbers.Length : Categories.Length;
    /// <summary>The number of missing values (NaN or null).</summary>
    public int MissingCount { get; }

    /// <summary>The number of distinct non-missing categories (0 for a numeric column).</summary>
    public int DistinctCount => Kind == ColumnKind.Categorical ? Categories.Where(c => c is not null).Distinct(StringComparer.Ordinal).Count() : 0;

    internal FeatureColumn Subset(ReadOnlySpan<int> rows)
    {
        if (Kind == ColumnKind.Numeric)
        {
            var numbers = new float[rows.Length];
            for (int i = 0; i < rows.Length; i++) numbers[i] = Numbers[rows[i]];
            return new FeatureColumn(Name, Kind, numbers, []);
        }
        var categories = new string?[rows.Length];
        for (int i = 0; i < rows.Length; i++) categories[i] = Categories[rows[i]];
        return new FeatureColumn(Name, Kind, [], categories);
    }
}

/// <summary>
/// A table of typed feature columns (numeric or categorical, with missing values) and, when labelled, a class per row:
/// what <see cref="CsvData.ReadTable(string, CsvOptions?)"/> and <see cref="FromRows"/> return and
/// <see cref="Classifier.Train(Table, ClassifierOptions?, Table?, IProgress{EpochReport}?, Classifier.TrainingHooks?, CancellationToken)"/>
/// takes. The encoding into numbers (<see cref="TableEncoder"/>) is fitted on the training rows and saved with the model.
/// </summary>
public sealed class Table
{
    /// <summary>A table over the given columns (not copied).</summary>
    /// <param name="columns">At least one column, all with the same number of rows and distinct names.</param>
    /// <param name="labels">A class index per row into <paramref name="classNames"/>, or null for an unlabelled table.</param>
    /// <param name="classNames">The class names; empty for an unlabelled table.</param>
    /// <param name="labelColumn">The header name of the label column, when known (for messages).</param>
    /// <exception cref="ArgumentException">The columns differ in length or repeat a name, or a label is out of range.</exception>
    public Table(IReadOnlyList<FeatureColumn> columns, int[]? labels, IReadOnlyList<string> classNames, string? labelColumn = null)
    {
        ArgumentNullException.ThrowIfNull(columns);
        if (columns.Count == 0) throw new ArgumentException("a table needs at least one feature column", nameof(columns));
        int rows = labels?.Length ?? columns[0].RowCount;
        for (int c = 0; c < columns.Count; c++)
        {
            if (columns[c].RowCount != rows) throw new ArgumentException($"column '{columns[c].Name}' has {columns[c].RowCount} rows, expected {rows}", nameof(columns));
            for (int d = 0; d < c; d++)
                if (columns[d].Name == columns[c].Name) throw new ArgumentException($"the column name '{columns[c].Name}' appears twice", nameof(columns));
        }
        if (labels is not null)
            for (int i = 0; i < labels.Length; i++)
                if ((uint)labels[i] >= (uint)classNames.Count) throw new ArgumentException($"row {i}: label {labels[i]} is outside [0, {classNames.Count})", nameof(labels));
        Columns = columns;
        Labels = labels;
        ClassNames = classNames;
        LabelColumn = labelColumn;
        RowCount = rows;
    }

    /// <summary>The feature columns, in header order (the label column is not among them).</summary>
    public IReadOnlyList<FeatureColumn> Columns { get; }
    /// <summary>A class index per row, or null for an unlabelled table (prediction).</summary>
    public int[]? Labels { get; }
    /// <summary>The class names; a label is an index into this list.</summary>
    public IReadOnlyList<string> ClassNames { get; }
    /// <summary>The header name of the label column, when there was one.</summary>
    public string? LabelColumn { get; }
    /// <summary>The number of rows.</summary>
    public int RowCount { get; }
    /// <summary>The number of classes.</summary>
    public int ClassCount => ClassNames.Count;
    /// <summary>Rows left out because their label was missing (<see cref="CsvOptions.DropUnlabelled"/>).</summary>
    public int DroppedRows { get; init; }

    /// <summary>The column with this name, or null.</summary>
    /// <param name="name">The column's name, compared ordinally.</param>
    /// <returns>The column, or null when the table has none of that name.</returns>
    public FeatureColumn? Column(string name)
    {
        foreach (FeatureColumn c in Columns) if (c.Name == name) return c;
        return null;
    }

    /// <summary>The rows at <paramref name="indices"/>, in that order.</summary>
    /// <param name="indices">Row indices, each in [0, <see cref="RowCount"/>); repeats are allowed.</param>
    /// <returns>A new table with copies of those rows.</returns>
    public Table Subset(ReadOnlySpan<int> indices)
    {
        var columns = new FeatureColumn[Columns.Count];
        for (int c = 0; c < columns.Length; c++) columns[c] = Columns[c].Subset(indices);
        int[]? labels = null;
        if (Labels is not null)
        {
            labels = new int[indices.Length];
            for (int i = 0; i < indices.Length; i++) labels[i] = Labels[indices[i]];
        }
        return new Table(columns, labels, ClassNames, LabelColumn);
    }

    /// <summary>A labelled numeric data set as a table of numeric columns (no values missing).</summary>
    /// <param name="data">The data set; its feature names become the column names.</param>
    /// <returns>The table, with the data set's labels and class names.</returns>
    public static Table FromDataset(Dataset data)
    {
        var columns = new FeatureColumn[data.FeatureCount];
        for (int f = 0; f < columns.Length; f++)
        {
            var values = new float[data.RowCount];
            for (int r = 0; r < values.Length; r++) values[r] = data.Features[r * data.FeatureCount + f];
            columns[f] = FeatureColumn.Numeric(data.FeatureNames[f], values);
        }
        return new Table(columns, data.Labels, data.ClassNames);
    }

    /// <summary>
    /// A table from rows of cells, with the same inference, options and errors as <see cref="CsvData.ReadTable(string, CsvOptions?)"/>
    /// (errors say "row N" where a file's say "line N"). A cell is a number (<c>float</c>, <c>double</c>, <c>int</c>,
    /// <c>long</c>, <c>decimal</c>; NaN is missing), a string (read as a CSV field is: a number, a category or a missing
    /// spelling), or null (missing). The label column is <see cref="CsvOptions.Label"/>, by default the last.
    /// </summary>
    /// <exception cref="DataFormatException">A bad cell or option; the one-line message names the row and column or the option.</exception>
    /// <param name="columnNames">The header: a name per cell of each row, the label column among them.</param>
    /// <param name="rows">The rows, each with one cell per column name.</param>
    /// <param name="options">The reading options (label column, overrides, missing-value policy); null for the defaults.</param>
    /// <returns>The table, labelled when the rows hold a label column.</returns>
    public static Table FromRows(IReadOnlyList<string> columnNames, IEnumerable<IReadOnlyList<object?>> rows, CsvOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(columnNames);
        ArgumentNullException.ThrowIfNull(rows);
        options ??= new CsvOptions();
        var text = new List<string[]>();
        int row = 0;
        foreach (IReadOnlyList<object?> cells in rows)
        {
            row++;
            var line = new string[cells.Count];
            for (int c = 0; c < line.Length; c++) line[c] = CellText(cells[c]);
            text.Add(line);
        }
        return TableReader.Read(new RowSource(columnNames.Select(n => n ?? "").ToArray(), text), "rows", options);
    }

    // A number is written in its shortest round-trip form (so it reads back exactly), NaN and null as an empty cell.
    private static string CellText(object? cell) => cell switch
    {
        null or DBNull => "",
        string s => s,
        float f => float.IsNaN(f) ? "" : f.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
        double d => double.IsNaN(d) ? "" : d.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
        IFormattable n when cell is int or long or short or byte or decimal or uint or ulong or ushort or sbyte
            => n.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        _ => throw new ArgumentException($"a cell of type {cell.GetType().Name} is neither a number nor a string", nameof(cell)),
    };

    /// <summary>This table as a numeric data set: every column numeric with no value missing, and labels.</summary>
    /// <returns>A data set with one feature per column, the same labels and class names.</returns>
    /// <exception cref="InvalidOperationException">The table has a categorical column, a missing value, or no labels.</exception>
    public Dataset ToDataset()
    {
        if (Labels is null) throw new InvalidOperationException("the table has no label column");
        var features = new float[(long)RowCount * Columns.Count];
        for (int c = 0; c < Columns.Count; c++)
        {
            FeatureColumn column = Columns[c];
            if (column.Kind != ColumnKind.Numeric || column.MissingCount > 0)
                throw new InvalidOperationException($"column '{column.Name}' is categorical or has missing values; train on the table itself (Classifier.Train(Table, ...))");
            for (int r = 0; r < RowCount; r++) features[(long)r * Columns.Count + c] = column.Numbers[r];
        }
        return new Dataset(features, Labels, Columns.Select(c => c.Name).ToArray(), ClassNames);
    }
}
