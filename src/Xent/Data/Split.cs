using Xent.Numerics;

namespace Xent.Data;

/// <summary>Train/validation splits.</summary>
public static class Split
{
    /// <summary>
    /// A stratified split: within each class the rows are shuffled from <paramref name="seed"/> and
    /// round(fraction × count) of them go to the second part (at least one when the class has two or more rows,
    /// and never all of them). Row order inside each part follows the original order.
    /// </summary>
    public static (Dataset Train, Dataset Validation) Stratified(Dataset data, double fraction, long seed)
    {
        (int[] train, int[] validation) = StratifiedRows(data.Labels, data.ClassCount, fraction, seed);
        return (data.Subset(train), data.Subset(validation));
    }

    /// <summary>The same split of a labelled <see cref="Table"/> (the same rows as for a data set with these labels).</summary>
    public static (Table Train, Table Validation) Stratified(Table data, double fraction, long seed)
    {
        if (data.Labels is null) throw new ArgumentException("the table has no labels to stratify by", nameof(data));
        (int[] train, int[] validation) = StratifiedRows(data.Labels, data.ClassCount, fraction, seed);
        return (data.Subset(train), data.Subset(validation));
    }

    /// <summary>The row indices of each part of <see cref="Stratified(Dataset, double, long)"/>, in ascending order.</summary>
    public static (int[] Train, int[] Validation) StratifiedRows(int[] labels, int classCount, double fraction, long seed)
    {
        if (!(fraction > 0 && fraction < 1)) throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "must be in (0, 1)");
        var random = new RandomSource(seed);
        var isValidation = new bool[labels.Length];
        for (int c = 0; c < classCount; c++)
        {
            int[] rows = Enumerable.Range(0, labels.Length).Where(i => labels[i] == c).ToArray();
            random.Shuffle(rows);
            int take = (int)Math.Round(fraction * rows.Length, MidpointRounding.AwayFromZero);
            if (rows.Length >= 2) take = Math.Clamp(take, 1, rows.Length - 1);
            else take = 0;
            for (int i = 0; i < take; i++) isValidation[rows[i]] = true;
        }
        int[] train = Enumerable.Range(0, labels.Length).Where(i => !isValidation[i]).ToArray();
        int[] validation = Enumerable.Range(0, labels.Length).Where(i => isValidation[i]).ToArray();
        return (train, validation);
    }
}
