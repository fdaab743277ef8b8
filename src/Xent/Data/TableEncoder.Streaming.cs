namespace Xent.Data;

/// <summary>
/// What a streamed pass counts of one feature column over the training rows, from which <see cref="TableEncoder"/> is
/// fitted exactly as <see cref="TableEncoder.Fit(Table, int, MissingValues)"/> fits it on the same rows in memory:
/// a numeric column's sum of present values (in double, in row order, as in memory) and its present and missing
/// counts; a categorical column's count per category code (the code is the index into the column's vocabulary, in
/// order of first appearance) and its missing count.
/// </summary>
internal sealed class ColumnStatistics(string name, ColumnKind kind)
{
    private long[] _counts = [];

    public string Name { get; } = name;
    public ColumnKind Kind { get; } = kind;
    public double Sum { get; private set; }
    public long Present { get; private set; }
    public long Missing { get; private set; }

    /// <summary>Adds one training cell in its cached form: a number, a category code, or NaN for a missing value.</summary>
    public void Add(float raw)
    {
        if (float.IsNaN(raw)) { Missing++; return; }
        Present++;
        if (Kind == ColumnKind.Numeric) { Sum += raw; return; }
        int code = (int)raw;
        if (code >= _counts.Length) Array.Resize(ref _counts, Math.Max(code + 1, _counts.Length * 2));
        _counts[code]++;
    }

    /// <summary>The column's encoding; <paramref name="vocabulary"/> names the codes of a categorical column.</summary>
    public ColumnEncoding Fit(IReadOnlyList<string> vocabulary, int maxCategories)
    {
        if (Kind == ColumnKind.Numeric) return TableEncoder.NumericEncoding(Name, Sum, Present, Missing);
        // Categories only validation rows have are not counted, as in memory (the fit sees the training rows alone).
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        for (int code = 0; code < _counts.Length; code++)
            if (_counts[code] > 0) counts[vocabulary[code]] = _counts[code];
        return TableEncoder.CategoricalEncoding(Name, counts, Missing, maxCategories);
    }
}

public sealed partial class TableEncoder
{
    /// <summary>The encoder fitted from a streamed pass's counts over the training rows (see <see cref="ColumnStatistics"/>).</summary>
    internal static TableEncoder Fit(IReadOnlyList<ColumnStatistics> columns, IReadOnlyList<IReadOnlyList<string>> vocabularies, int maxCategories, MissingValues missing) =>
        new(columns.Select((c, i) => c.Fit(vocabularies[i], maxCategories)).ToArray(), missing);

    /// <summary>
    /// Per categorical column, the feature slot (within the column's features) of each code of <paramref name="vocabularies"/>:
    /// its own slot when kept, else "other" (rare or unseen), as <c>Encode</c> places the category; null for numeric columns.
    /// </summary>
    internal int[]?[] SlotsOfCodes(IReadOnlyList<IReadOnlyList<string>> vocabularies)
    {
        var slots = new int[]?[Columns.Count];
        for (int c = 0; c < slots.Length; c++)
        {
            if (Columns[c].Kind != ColumnKind.Categorical) continue;
            IReadOnlyList<string> names = vocabularies[c];
            slots[c] = new int[names.Count];
            for (int code = 0; code < names.Count; code++)
                slots[c]![code] = _slots[c]!.TryGetValue(names[code], out int slot) ? slot : Columns[c].OtherSlot;
        }
        return slots;
    }

    // raw [columns] (a number, a code of slots[c], or NaN for missing) -> destination [FeatureCount]; the cell rules of EncodeCell
    internal void EncodeRaw(ReadOnlySpan<float> raw, int[]?[] slots, Span<float> destination)
    {
        destination.Clear();
        int offset = 0;
        for (int c = 0; c < Columns.Count; c++)
        {
            ColumnEncoding encoding = Columns[c];
            float v = raw[c];
            if (encoding.Kind == ColumnKind.Numeric)
            {
                if (float.IsNaN(v))
                {
                    destination[offset] = encoding.Fill;
                    if (encoding.MissingIndicator) destination[offset + 1] = 1;
                }
                else destination[offset] = v;
            }
            else destination[offset + (float.IsNaN(v) ? encoding.MissingSlot : slots[c]![(int)v])] = 1;
            offset += encoding.Width;
        }
    }
}
