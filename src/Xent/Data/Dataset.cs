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

    /// <summary>
    /// This data set laid out for a model: the feature columns named <paramref name="featureNames"/>, in that order
    /// (other columns dropped), and labels renumbered to <paramref name="classNames"/> (matched by name after
    /// <see cref="ClassLabels.Normalize"/>; a class the model does not have is an error). Returns this instance when the
    /// layout is already the model's.
    /// </summary>
    /// <exception cref="ArgumentException">A feature the model needs is missing, or a label is not one of its classes; the message names them.</exception>
    public Dataset AlignTo(IReadOnlyList<string> featureNames, IReadOnlyList<string> classNames)
    {
        bool sameFeatures = featureNames.SequenceEqual(FeatureNames, StringComparer.Ordinal);
        bool sameClasses = classNames.SequenceEqual(ClassNames, StringComparer.Ordinal);
        if (sameFeatures && sameClasses) return this;

        var columns = new int[featureNames.Count];
        var missing = new List<string>();
        for (int i = 0; i < columns.Length; i++)
        {
            columns[i] = IndexOf(FeatureNames, featureNames[i]);
            if (columns[i] < 0) missing.Add(featureNames[i]);
        }
        if (missing.Count > 0)
            throw new ArgumentException($"the data lacks the feature{(missing.Count > 1 ? "s" : "")} {Quoted(missing)} that the model needs (the data has {Quoted(FeatureNames)})", "data");

        var classMap = new int[ClassCount];
        var unknown = new List<string>();
        for (int c = 0; c < ClassCount; c++)
        {
            string name = ClassLabels.Normalize(ClassNames[c]);
            classMap[c] = -1;
            for (int k = 0; k < classNames.Count && classMap[c] < 0; k++)
                if (ClassLabels.Normalize(classNames[k]) == name) classMap[c] = k;
            if (classMap[c] < 0) unknown.Add(ClassNames[c]);
        }
        var counts = ClassCounts();
        unknown.RemoveAll(u => counts[IndexOf(ClassNames, u)] == 0);   // a class no row has does not matter
        if (unknown.Count > 0)
            throw new ArgumentException($"the data has the class{(unknown.Count > 1 ? "es" : "")} {Quoted(unknown)}, which the model does not know (it knows {Quoted(classNames)})", "data");

        int rows = RowCount, width = FeatureCount, outWidth = columns.Length;
        float[] features = sameFeatures ? Features : new float[(long)rows * outWidth <= Array.MaxLength ? rows * outWidth : throw new ArgumentException("too many values", "data")];
        if (!sameFeatures)
            for (int r = 0; r < rows; r++)
                for (int i = 0; i < outWidth; i++) features[r * outWidth + i] = Features[r * width + columns[i]];
        int[] labels = new int[rows];
        for (int r = 0; r < rows; r++) labels[r] = classMap[Labels[r]];
        return new Dataset(features, labels, featureNames, classNames);
    }

    private static int IndexOf(IReadOnlyList<string> names, string name)
    {
        for (int i = 0; i < names.Count; i++)
            if (string.Equals(names[i], name, StringComparison.Ordinal)) return i;
        return -1;
    }

    private static string Quoted(IEnumerable<string> names) => string.Join(", ", names.Take(20).Select(n => $"'{n}'")) + (names.Count() > 20 ? ", …" : "");

    /// <summary>Rows per class.</summary>
    public int[] ClassCounts()
    {
        var counts = new int[ClassCount];
        foreach (int y in Labels) counts[y]++;
        return counts;
    }
}
