using System.Text;
using Xent.Distributed;

namespace Xent.Data;

public sealed partial class TableEncoder
{
    /// <summary>
    /// <see cref="Fit(Table, int, MissingValues)"/> over the training rows that the processes of <paramref name="group"/>
    /// hold together: every process calls it with its own rows (the same columns, names and kinds on every process) and
    /// gets the same encoder, the one a single process would fit on all the rows. Each numeric column's sum of present
    /// values and its present and missing counts are all-reduced (the sum in double, so the mean can differ from a single
    /// process's only by the double rounding of a different order of addition, before the cast to float); each
    /// categorical column's table of category counts is gathered from every process (category text as UTF-8) and added
    /// up, then ordered as <see cref="Fit(Table, int, MissingValues)"/> orders it (count, then ordinal text), which does
    /// not depend on the order the processes come in.
    /// </summary>
    /// <param name="train">This process's training rows.</param>
    /// <param name="group">The processes of the run; every one calls this with its own rows.</param>
    /// <param name="maxCategories">The most categories of one column that get their own slot; at least 1.</param>
    /// <param name="missing">The policy the model keeps, as in the single-process <c>Fit</c>.</param>
    /// <returns>The same encoder on every process: the one a single process would fit on all the training rows.</returns>
    public static TableEncoder Fit(Table train, ICollectives group, int maxCategories = DefaultMaxCategories, MissingValues missing = MissingValues.Impute)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(group);
        if (group.Size == 1) return Fit(train, maxCategories, missing);
        if (maxCategories < 1) throw new ArgumentOutOfRangeException(nameof(maxCategories), maxCategories, "must be at least 1");
        int width = train.Columns.Count;
        // Per column: the sum of present values (numeric), the present count and the missing count; counts are exact in double below 2^53.
        var sums = new double[width * 3];
        for (int c = 0; c < width; c++)
        {
            FeatureColumn column = train.Columns[c];
            sums[c * 3] = column.Kind == ColumnKind.Numeric ? SumOfPresent(column) : 0;
            sums[c * 3 + 1] = column.RowCount - column.MissingCount;
            sums[c * 3 + 2] = column.MissingCount;
        }
        group.AllReduceSum(sums);

        Dictionary<string, long>[] counts = MergeCategoryCounts(train, group);
        var columns = new ColumnEncoding[width];
        for (int c = 0; c < width; c++)
        {
            FeatureColumn column = train.Columns[c];
            columns[c] = column.Kind == ColumnKind.Numeric
                ? NumericEncoding(column.Name, sums[c * 3], (long)sums[c * 3 + 1], (long)sums[c * 3 + 2])
                : CategoricalEncoding(column.Name, counts[c], (long)sums[c * 3 + 2], maxCategories);
        }
        return new TableEncoder(columns, missing);
    }

    // Every categorical column's category counts, summed over the processes (empty for numeric columns).
    private static Dictionary<string, long>[] MergeCategoryCounts(Table train, ICollectives group)
    {
        using var buffer = new MemoryStream();
        using (var writer = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true))
        {
            foreach (FeatureColumn column in train.Columns)
            {
                Dictionary<string, long> mine = column.Kind == ColumnKind.Categorical ? CategoryCounts(column) : [];
                writer.Write(mine.Count);
                foreach ((string category, long count) in mine)
                {
                    writer.Write(category);
                    writer.Write(count);
                }
            }
        }
        var merged = train.Columns.Select(_ => new Dictionary<string, long>(StringComparer.Ordinal)).ToArray();
        foreach (byte[] part in group.AllGather(buffer.GetBuffer().AsSpan(0, (int)buffer.Length)))
        {
            using var reader = new BinaryReader(new MemoryStream(part), Encoding.UTF8);
            foreach (Dictionary<string, long> column in merged)
            {
                int n = reader.ReadInt32();
                for (int i = 0; i < n; i++)
                {
                    string category = reader.ReadString();
                    column[category] = column.GetValueOrDefault(category) + reader.ReadInt64();
                }
            }
        }
        return merged;
    }
}
