using Xent.Numerics;

namespace Xent.Data;

/// <summary>Train/validation splits.</summary>
public static class Split
{
    /// <summary>
    /// A stratified split: within class c, its k-th row (k = 0, 1, ...) goes to the second part when
    /// ⌊(k+1)·fraction + φc⌋ > ⌊k·fraction + φc⌋, for a phase φc in [0, 1) drawn from the seed; so ⌊n·fraction⌋ or
    /// ⌈n·fraction⌉ of a class's n rows, spread evenly through it, go to the second part. Row order inside each part follows the original order.
    /// </summary>
    /// <param name="data">The labelled rows.</param>
    /// <param name="fraction">The share of each class that goes to validation, in [0, 1).</param>
    /// <param name="seed">Seeds the per-class phases; the same seed gives the same split on every machine.</param>
    /// <returns>The training rows and the validation rows, as new data sets.</returns>
    public static (Dataset Train, Dataset Validation) Stratified(Dataset data, double fraction, long seed)
    {
        (int[] train, int[] validation) = StratifiedRows(data.Labels, data.ClassCount, fraction, seed);
        return (data.Subset(train), data.Subset(validation));
    }

    /// <summary>The same split of a labelled <see cref="Table"/> (the same rows as for a data set with these labels).</summary>
    /// <param name="data">The labelled table.</param>
    /// <param name="fraction">The share of each class that goes to validation, in [0, 1).</param>
    /// <param name="seed">Seeds the per-class phases.</param>
    /// <returns>The training rows and the validation rows, as new tables.</returns>
    /// <exception cref="ArgumentException">The table has no labels.</exception>
    public static (Table Train, Table Validation) Stratified(Table data, double fraction, long seed)
    {
        if (data.Labels is null) throw new ArgumentException("the table has no labels to stratify by", nameof(data));
        (int[] train, int[] validation) = StratifiedRows(data.Labels, data.ClassCount, fraction, seed);
        return (data.Subset(train), data.Subset(validation));
    }

    /// <summary>
    /// The row indices of each part of <see cref="Stratified(Dataset, double, long)"/>, in ascending order. The rule streams: it decides each row from its class and how many rows of that class came before it,
    /// so a pass over data too large for memory makes the same split as this in-memory one.
    /// </summary>
    /// <param name="labels">The class index of each row.</param>
    /// <param name="classCount">The number of classes; every label is below it.</param>
    /// <param name="fraction">The share of each class that goes to validation, in [0, 1).</param>
    /// <param name="seed">Seeds the per-class phases.</param>
    /// <returns>The indices of the training rows and of the validation rows.</returns>
    public static (int[] Train, int[] Validation) StratifiedRows(int[] labels, int classCount, double fraction, long seed)
    {
        var rule = new StratifiedRule(classCount, fraction, seed);
        var train = new List<int>(labels.Length);
        var validation = new List<int>((int)(labels.Length * fraction) + classCount);
        for (int i = 0; i < labels.Length; i++) (rule.IsValidation(labels[i]) ? validation : train).Add(i);
        return (train.ToArray(), validation.ToArray());
    }
}

/// <summary>
/// A stratified split decided row by row in one pass: within class c, the k-th row (k = 0, 1, ...) goes to validation when
/// ⌊(k+1)·f + φc⌋ > ⌊k·f + φc⌋, with a phase φc in [0, 1) drawn per class from the seed. The validation rows of a class
/// are spread evenly through it, and a class of n rows gives ⌊n·f + φc⌋ of them, so ⌊n·f⌋ or ⌈n·f⌉.
/// </summary>
internal sealed class StratifiedRule
{
    private readonly double _fraction;
    private readonly double[] _phase;
    private readonly long[] _seen;

    public StratifiedRule(int classCount, double fraction, long seed)
    {
        if (!(fraction > 0 && fraction < 1)) throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "must be in (0, 1)");
        _fraction = fraction;
        var random = new RandomSource(seed);
        _phase = new double[classCount];
        for (int c = 0; c < classCount; c++) _phase[c] = random.NextDouble();
        _seen = new long[classCount];
    }

    /// <summary>Whether the next row of class <paramref name="label"/> goes to validation (and counts it).</summary>
    public bool IsValidation(int label)
    {
        long k = _seen[label]++;
        return Math.Floor((k + 1) * _fraction + _phase[label]) > Math.Floor(k * _fraction + _phase[label]);
    }
}
