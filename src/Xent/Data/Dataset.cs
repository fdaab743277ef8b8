namespace Xent.Data;

/// <summary>
/// A classification data set held as one row-major float32 feature matrix [rows, features] and a class index per row.
/// </summary>
public sealed class Dataset
{
    public Dataset(float[] features, int[] labels, IReadOnlyList<string> featureNames, IReadOnlyList<string> classNames)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(labels);
        if (featureNames.Count == 0) throw new ArgumentException("a data set needs at least one feature", nameof(featureNames));
        if (classNames.Count == 0) throw new ArgumentException("a data set needs at least one class", nameof(classNames));
        if (features.Length != (long)labels.Length * featureNames.Count)
            throw new ArgumentException($"{labels.Length} rows of {featureNames.Count} features need {labels.Length * featureNames.Count} values, got {features.Length}", nameof(features));
        for (int i = 0; i < labels.Length; i++)
            if ((uint)labels[i] >= (uint)classNames.Count)
                throw new ArgumentException($"row {i}: label {labels[i]} is outside [0, {classNames.Count})", nameof(labels));
        Features = features;
        Labels = labels;
        FeatureNames = featureNames;
        ClassNames = classNames;
    }

    /// <summary>[RowCount, FeatureCount], row-major.</summary>
    public float[] Features { get; }
    public int[] Labels { get; }
    public IReadOnlyList<string> FeatureNames { get; }
    public IReadOnlyList<string> ClassNames { get; }
    public int RowCount => Labels.Length;
    public int FeatureCount => FeatureNames.Count;
    public int ClassCount => ClassNames.Count;

    public ReadOnlySpan<float> Row(int index) => Features.AsSpan(index * FeatureCount, FeatureCount);

    /// <summary>The rows at <paramref name="indices"/>, in that order, as a new data set.</summary>
    public Dataset Subset(ReadOnlySpan<int> indices)
    {
        int f = FeatureCount;
        var features = new float[indices.Length * f];
        var labels = new int[indices.Length];
        for (int i = 0; i < indices.Length; i++)
        {
            Features.AsSpan(indices[i] * f, f).CopyTo(features.AsSpan(i * f, f));
            labels[i] = Labels[indices[i]];
        }
        return new Dataset(features, labels, FeatureNames, ClassNames);
    }

    /// <summary>A copy with the same labels and names and the given features.</summary>
    public Dataset WithFeatures(float[] features) => new(features, Labels, FeatureNames, ClassNames);

    /// <summary>Rows per class.</summary>
    public int[] ClassCounts()
    {
        var counts = new int[ClassCount];
        foreach (int y in Labels) counts[y]++;
        return counts;
    }
}
