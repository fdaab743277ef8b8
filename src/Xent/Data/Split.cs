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
        if (!(fraction > 0 && fraction < 1)) throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "must be in (0, 1)");
        var random = new RandomSource(seed);
        var isValidation = new bool[data.RowCount];
        for (int c = 0; c < data.ClassCount; c++)
        {
            int[] rows = Enumerable.Range(0, data.RowCount).Where(i => data.Labels[i] == c).ToArray();
            random.Shuffle(rows);
            int take = (int)Math.Round(fraction * rows.Length, MidpointRounding.AwayFromZero);
            if (rows.Length >= 2) take = Math.Clamp(take, 1, rows.Length - 1);
            else take = 0;
            for (int i = 0; i < take; i++) isValidation[rows[i]] = true;
        }
        int[] train = Enumerable.Range(0, data.RowCount).Where(i => !isValidation[i]).ToArray();
        int[] validation = Enumerable.Range(0, data.RowCount).Where(i => isValidation[i]).ToArray();
        return (data.Subset(train), data.Subset(validation));
    }
}
