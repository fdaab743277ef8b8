namespace Xent.Data;

/// <summary>
/// How one original column becomes features. Numeric: its value, with <see cref="Fill"/> (the training mean) in place of
/// a missing one, then a 0/1 "was missing" feature when <see cref="MissingIndicator"/>. Categorical: one-hot over
/// <see cref="Categories"/> (the most frequent training categories), then an "other" slot (categories folded for
/// rarity, and any category never seen in training), then a "missing" slot when <see cref="MissingCategory"/>.
/// </summary>
public sealed record ColumnEncoding
{
    /// <summary>The original column's name; data is matched to the model by it.</summary>
    public required string Name { get; init; }
    /// <summary>Whether the column is encoded as a number or one-hot over categories.</summary>
    public ColumnKind Kind { get; init; }
    /// <summary>Numeric: the value a missing cell gets (the training rows' mean of the present values).</summary>
    public float Fill { get; init; }
    /// <summary>Numeric: whether a 0/1 "was missing" feature follows the value (training saw a missing value in this column).</summary>
    public bool MissingIndicator { get; init; }
    /// <summary>Categorical: the categories with their own one-hot slot, in slot order.</summary>
    public string[] Categories { get; init; } = [];
    /// <summary>Training categories folded into "other" for rarity (at most <see cref="TableEncoder.MaxRareCategories"/>), so that prediction can tell them from unseen ones.</summary>
    public string[] RareCategories { get; init; } = [];
    /// <summary>Categorical: whether a "missing" slot follows "other" (training saw a missing value in this column).</summary>
    public bool MissingCategory { get; init; }

    /// <summary>The number of features this column becomes.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public int Width => Kind == ColumnKind.Numeric ? 1 + (MissingIndicator ? 1 : 0) : Categories.Length + 1 + (MissingCategory ? 1 : 0);

    /// <summary>The index of the "other" slot within this column's features (categorical).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public int OtherSlot => Categories.Length;

    /// <summary>The index of the "missing" slot, or the "other" slot when training saw no missing value (categorical).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public int MissingSlot => MissingCategory ? Categories.Length + 1 : Categories.Length;
}

/// <summary>What an encoding met: per column, categories sent to "other" (unseen in training, or rare) and missing values filled.</summary>
public sealed class EncodingReport
{
    /// <summary>An empty report, to pass to the encoding or prediction methods that fill it.</summary>
    public EncodingReport() { }

    /// <summary>Per categorical column: rows whose category training never saw (they go to "other").</summary>
    public Dictionary<string, int> Unseen { get; } = new(StringComparer.Ordinal);
    /// <summary>A few of those categories per column, for messages.</summary>
    public Dictionary<string, List<string>> UnseenExamples { get; } = new(StringComparer.Ordinal);
    /// <summary>Per categorical column: rows whose category training saw but folded into "other" for rarity (<see cref="ClassifierOptions.MaxCategories"/>).</summary>
    public Dictionary<string, int> Rare { get; } = new(StringComparer.Ordinal);
    /// <summary>Per column: rows whose value was missing (filled with the training mean, or put in the "missing" category).</summary>
    public Dictionary<string, int> Missing { get; } = new(StringComparer.Ordinal);

    /// <summary>Rows whose category training never saw, over all columns.</summary>
    public int UnseenCount => Unseen.Values.Sum();
    /// <summary>Missing values filled, over all columns.</summary>
    public int MissingCount => Missing.Values.Sum();

    internal void AddUnseen(string column, string category)
    {
        Unseen[column] = Unseen.GetValueOrDefault(column) + 1;
        if (!UnseenExamples.TryGetValue(column, out List<string>? examples)) UnseenExamples[column] = examples = [];
        if (examples.Count < 3 && !examples.Contains(category)) examples.Add(category);
    }

    internal void AddRare(string column) => Rare[column] = Rare.GetValueOrDefault(column) + 1;

    internal void AddMissing(string column) => Missing[column] = Missing.GetValueOrDefault(column) + 1;
}

/// <summary>
/// The preprocessing fitted on training rows and saved with a model: for each original column, by name, its
/// <see cref="ColumnEncoding"/>. <see cref="Encode"/> turns a <see cref="Table"/> into the feature matrix the network
/// (after standardisation) takes, once, before training or prediction.
/// </summary>
public sealed partial class TableEncoder
{
    /// <summary>The default of <see cref="ClassifierOptions.MaxCategories"/>: the most categories of a column that get their own feature.</summary>
    public const int DefaultMaxCategories = 32;

    /// <summary>The most rare (folded) categories a column remembers; rarer ones beyond these count as unseen at prediction.</summary>
    public const int MaxRareCategories = 1_000;

    /// <summary>An encoder from its column encodings (e.g. read from a model file).</summary>
    /// <param name="columns">At least one column encoding, with distinct non-blank names.</param>
    /// <param name="missing">Whether a missing value is filled (<see cref="MissingValues.Impute"/>) or an error.</param>
    /// <exception cref="ArgumentException">No columns, a blank or repeated name, or an encoding that cannot be right (e.g. a non-finite fill).</exception>
    public TableEncoder(IReadOnlyList<ColumnEncoding> columns, MissingValues missing = MissingValues.Impute)
    {
        ArgumentNullException.ThrowIfNull(columns);
        if (columns.Count == 0) throw new ArgumentException("an encoder needs at least one column", nameof(columns));
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (ColumnEncoding c in columns)
        {
            if (c is null || string.IsNullOrWhiteSpace(c.Name)) throw new ArgumentException("every column needs a name", nameof(columns));
            if (!names.Add(c.Name)) throw new ArgumentException($"the column '{c.Name}' appears twice", nameof(columns));
            if (!Enum.IsDefined(c.Kind)) throw new ArgumentException($"column '{c.Name}' has an unknown kind", nameof(columns));
            if (!float.IsFinite(c.Fill)) throw new ArgumentException($"column '{c.Name}' has a fill value that is not finite", nameof(columns));
            if (c.Categories is null || c.Categories.Any(k => k is null) || c.Categories.Distinct(StringComparer.Ordinal).Count() != c.Categories.Length)
                throw new ArgumentException($"column '{c.Name}' needs distinct, non-null categories", nameof(columns));
            if (c.RareCategories is null || c.RareCategories.Any(k => k is null) || c.RareCategories.Intersect(c.Categories, StringComparer.Ordinal).Any())
                throw new ArgumentException($"column '{c.Name}' needs rare categories apart from its kept ones", nameof(columns));
            if (c.Kind == ColumnKind.Numeric && (c.Categories.Length > 0 || c.MissingCategory || c.RareCategories.Length > 0))
                throw new ArgumentException($"numeric column '{c.Name}' has categories", nameof(columns));
        }
        Columns = columns;
        Missing = missing;
        FeatureNames = columns.SelectMany(FeatureNamesOf).ToArray();
        _slots = columns.Select(c => c.Kind == ColumnKind.Categorical
            ? c.Categories.Select((k, i) => (k, i)).ToDictionary(p => p.k, p => p.i, StringComparer.Ordinal)
            : null).ToArray();
        _rare = columns.Select(c => c.RareCategories.ToHashSet(StringComparer.Ordinal)).ToArray();
    }

    private readonly Dictionary<string, int>?[] _slots;
    private readonly HashSet<string>[] _rare;

    /// <summary>The original columns' encodings, in the order their features come.</summary>
    public IReadOnlyList<ColumnEncoding> Columns { get; }
    /// <summary>The missing-value policy it was trained with, applied when reading data for it.</summary>
    public MissingValues Missing { get; }
    /// <summary>The encoded features' names: <c>age</c>, <c>age (missing)</c>, <c>country=FR</c>, <c>country (other)</c>, <c>country (missing)</c>.</summary>
    public IReadOnlyList<string> FeatureNames { get; }
    /// <summary>The number of encoded features: the sum of the columns' <see cref="ColumnEncoding.Width"/>.</summary>
    public int FeatureCount => FeatureNames.Count;
    /// <summary>The original columns' names, in order.</summary>
    public IReadOnlyList<string> ColumnNames => Columns.Select(c => c.Name).ToArray();
    /// <summary>The original columns' kinds, in the order of <see cref="ColumnNames"/>.</summary>
    public IReadOnlyList<ColumnKind> ColumnKinds => Columns.Select(c => c.Kind).ToArray();

    /// <summary>True when every column is numeric with no indicator: the features are the columns themselves.</summary>
    public bool IsPlainNumeric => Columns.All(c => c.Kind == ColumnKind.Numeric && !c.MissingIndicator);

    private static IEnumerable<string> FeatureNamesOf(ColumnEncoding c)
    {
        if (c.Kind == ColumnKind.Numeric)
        {
            yield return c.Name;
            if (c.MissingIndicator) yield return $"{c.Name} (missing)";
            yield break;
        }
        foreach (string k in c.Categories) yield return $"{c.Name}={k}";
        yield return $"{c.Name} (other)";
        if (c.MissingCategory) yield return $"{c.Name} (missing)";
    }

    /// <summary>
    /// Fits the encoding on training rows: each numeric column's mean over its present values (0 when all are missing) and
    /// an indicator when any value is missing; each categorical column's <paramref name="maxCategories"/> most frequent
    /// categories (ties in ordinal order) and a "missing" slot when any value is missing.
    /// </summary>
    /// <param name="train">The training rows.</param>
    /// <param name="maxCategories">The most categories of one column that get their own slot; at least 1.</param>
    /// <param name="missing">The policy the model keeps; under <see cref="MissingValues.Error"/> no indicator or "missing" slot is made.</param>
    /// <returns>The fitted encoder.</returns>
    public static TableEncoder Fit(Table train, int maxCategories = DefaultMaxCategories, MissingValues missing = MissingValues.Impute)
    {
        ArgumentNullException.ThrowIfNull(train);
        if (maxCategories < 1) throw new ArgumentOutOfRangeException(nameof(maxCategories), maxCategories, "must be at least 1");
        var columns = new ColumnEncoding[train.Columns.Count];
        for (int c = 0; c < columns.Length; c++)
        {
            FeatureColumn column = train.Columns[c];
            columns[c] = column.Kind == ColumnKind.Numeric
                ? NumericEncoding(column.Name, SumOfPresent(column), column.RowCount - column.MissingCount, column.MissingCount)
                : CategoricalEncoding(column.Name, CategoryCounts(column), column.MissingCount, maxCategories);
        }
        return new TableEncoder(columns, missing);
    }

    // The pieces of Fit, shared with the fit over a group of processes (TableEncoder.Distributed.cs), which adds up the
    // same sums and counts over every process's rows first.
    private static double SumOfPresent(FeatureColumn column)
    {
        double sum = 0;
        foreach (float v in column.Numbers)
            if (!float.IsNaN(v)) sum += v;
        return sum;
    }

    private static Dictionary<string, long> CategoryCounts(FeatureColumn column)
    {
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (string? k in column.Categories)
            if (k is not null) counts[k] = counts.GetValueOrDefault(k) + 1;
        return counts;
    }

    internal static ColumnEncoding NumericEncoding(string name, double sum, long present, long missing) =>
        new() { Name = name, Kind = ColumnKind.Numeric, Fill = present > 0 ? (float)(sum / present) : 0f, MissingIndicator = missing > 0 };

    internal static ColumnEncoding CategoricalEncoding(string name, Dictionary<string, long> counts, long missing, int maxCategories)
    {
        string[] ordered = counts.OrderByDescending(p => p.Value).ThenBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Key).ToArray();
        return new ColumnEncoding
        {
            Name = name,
            Kind = ColumnKind.Categorical,
            Categories = ordered.Take(maxCategories).ToArray(),
            RareCategories = ordered.Skip(maxCategories).Take(MaxRareCategories).ToArray(),
            MissingCategory = missing > 0,
        };
    }

    // table [rows, columns by name] -> features [rows, FeatureCount]
    /// <summary>The table's rows as features, its columns matched by name (others ignored).</summary>
    /// <exception cref="ArgumentException">A column is missing or of the other kind; the message names it.</exception>
    /// <param name="table">Rows with at least the encoder's columns, matched by name.</param>
    /// <param name="report">Receives the counts of unseen, rare and missing values; null to skip counting.</param>
    /// <returns>Row-major [rows, <see cref="FeatureCount"/>] features.</returns>
    /// <exception cref="ArgumentException">A column the encoder needs is missing, or has the other kind in <paramref name="table"/>.</exception>
    public float[] Encode(Table table, EncodingReport? report = null)
    {
        ArgumentNullException.ThrowIfNull(table);
        int rows = table.RowCount, width = FeatureCount;
        var features = new float[(long)rows * width <= Array.MaxLength ? rows * width : throw new ArgumentException("too many values", nameof(table))];
        int offset = 0;
        for (int c = 0; c < Columns.Count; c++)
        {
            ColumnEncoding encoding = Columns[c];
            FeatureColumn column = table.Column(encoding.Name)
                ?? throw new ArgumentException($"the data lacks the column '{encoding.Name}' that the model needs (the data has {string.Join(", ", table.Columns.Select(t => $"'{t.Name}'"))})", nameof(table));
            if (column.Kind != encoding.Kind)
                throw new ArgumentException($"the column '{encoding.Name}' is {Describe(column.Kind)} in the data but {Describe(encoding.Kind)} in the model; read the data with the model's column types (Classifier.ReadingOptions)", nameof(table));
            for (int r = 0; r < rows; r++) EncodeCell(c, column, r, features.AsSpan(r * width + offset, encoding.Width), report);
            offset += encoding.Width;
        }
        return features;
    }

    /// <summary>The table as a data set of encoded features (labels and class names kept).</summary>
    /// <param name="table">Labelled rows with at least the encoder's columns, matched by name.</param>
    /// <param name="report">Receives the counts of unseen, rare and missing values; null to skip counting.</param>
    /// <returns>A data set of encoded features named <see cref="FeatureNames"/>.</returns>
    public Dataset ToDataset(Table table, EncodingReport? report = null)
    {
        if (table.Labels is null) throw new ArgumentException("the table has no labels", nameof(table));
        return new Dataset(Encode(table, report), table.Labels, FeatureNames, table.ClassNames);
    }

    /// <summary>
    /// One row given as cells by column name: a number (or NaN / null for missing) for a numeric column, a string (or
    /// null / a missing spelling) for a categorical one. Every column the model needs must be there; others are an error.
    /// </summary>
    /// <param name="cells">Column name to value.</param>
    /// <param name="destination">Receives the <see cref="FeatureCount"/> encoded features.</param>
    /// <param name="report">Receives the counts of unseen, rare and missing values; null to skip counting.</param>
    /// <exception cref="ArgumentException">A column is missing or unknown, or a value has the wrong type for its column.</exception>
    public void EncodeRow(IReadOnlyDictionary<string, object?> cells, Span<float> destination, EncodingReport? report = null)
    {
        ArgumentNullException.ThrowIfNull(cells);
        if (destination.Length != FeatureCount) throw new ArgumentException($"needs room for {FeatureCount} features", nameof(destination));
        foreach (string name in cells.Keys)
            if (!Columns.Any(c => c.Name == name)) throw new ArgumentException($"the model has no column '{name}' (it has {string.Join(", ", ColumnNames)})", nameof(cells));
        int offset = 0;
        for (int c = 0; c < Columns.Count; c++)
        {
            ColumnEncoding encoding = Columns[c];
            if (!cells.TryGetValue(encoding.Name, out object? cell))
                throw new ArgumentException($"the column '{encoding.Name}' is missing (the model needs {string.Join(", ", ColumnNames)}; give null for a missing value)", nameof(cells));
            FeatureColumn column = encoding.Kind == ColumnKind.Numeric
                ? FeatureColumn.Numeric(encoding.Name, [NumberOf(encoding.Name, cell)])
                : FeatureColumn.Categorical(encoding.Name, [CategoryOf(cell)]);
            EncodeCell(c, column, 0, destination.Slice(offset, encoding.Width), report);
            offset += encoding.Width;
        }
    }

    private static float NumberOf(string name, object? cell) => cell switch
    {
        null or DBNull => float.NaN,
        float f => f,
        double d => (float)d,
        int or long or short or byte or decimal => Convert.ToSingle(cell, System.Globalization.CultureInfo.InvariantCulture),
        string s when MissingCells.IsMissing(s.Trim()) => float.NaN,
        string s when Numbers.TryParse(s, out float v) && float.IsFinite(v) => v,
        _ => throw new ArgumentException($"the column '{name}' is numeric; '{cell}' is not a number", nameof(cell)),
    };

    private static string? CategoryOf(object? cell) => cell switch
    {
        null or DBNull => null,
        string s => MissingCells.IsMissing(s.Trim()) ? null : s,
        IFormattable f => f.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
        _ => cell.ToString(),
    };

    private void EncodeCell(int c, FeatureColumn column, int row, Span<float> destination, EncodingReport? report)
    {
        ColumnEncoding encoding = Columns[c];
        destination.Clear();
        if (encoding.Kind == ColumnKind.Numeric)
        {
            float v = column.Numbers[row];
            if (float.IsNaN(v))
            {
                destination[0] = encoding.Fill;
                if (encoding.MissingIndicator) destination[1] = 1;
                report?.AddMissing(encoding.Name);
            }
            else destination[0] = v;
            return;
        }
        string? category = column.Categories[row];
        if (category is null)
        {
            destination[encoding.MissingSlot] = 1;
            report?.AddMissing(encoding.Name);
        }
        else if (_slots[c]!.TryGetValue(category, out int slot)) destination[slot] = 1;
        else
        {
            destination[encoding.OtherSlot] = 1;
            if (_rare[c].Contains(category)) report?.AddRare(encoding.Name);
            else report?.AddUnseen(encoding.Name, category);
        }
    }

    private static string Describe(ColumnKind kind) => kind == ColumnKind.Numeric ? "numeric" : "categorical";
}
