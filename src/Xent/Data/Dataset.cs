namespace Xent.Data;

/// <summary>
/// A classification data set held as one row-major float32 feature matrix [rows, features] and a class index per row.
/// </summary>
public sealed class Dataset
{
    /// <summary>A data set over the given arrays (not copied).</summary>
    /// <param name="features">Row-major [labels.Length, featureNames.Count] feature values.</param>
    /// <param name="labels">The class index of each row, in [0, classNames.Count).</param>
    /// <param name="featureNames">A name per feature column; at least one.</param>
    /// <param name="classNames">A name per class; at least one.</param>
    /// <exception cref="ArgumentException">The lengths disagree, or a label is out of range; the message says which.</exception>
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

    /// <summary>
    /// A data set from rows held in memory, with a class name per row: the classes are the distinct labels in sorted order
    /// (numerically when every label is a number, as CSV labels are), features named <c>x1</c>, <c>x2</c>, … unless named.
    /// </summary>
    /// <param name="rows">One array of feature values per row; every row the same length.</param>
    /// <param name="labels">The class name of each row.</param>
    /// <param name="featureNames">A name per feature, or null for x1, x2, ….</param>
    /// <returns>The data set, with its own copy of the values.</returns>
    /// <exception cref="ArgumentException">Rows of different lengths, a label count that differs from the row count, a
    /// missing, NaN or infinite value, or fewer than two classes; the message names the row.</exception>
    public static Dataset FromRows(float[][] rows, string[] labels, string[]? featureNames = null)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(labels);
        string[] normalized = labels.Select((l, i) => ClassLabels.Normalize(l ?? throw new ArgumentException($"row {i}: the label is null", nameof(labels)))).ToArray();
        string[] classes = normalized.Distinct(StringComparer.Ordinal).ToArray();
        classes = classes.All(c => ClassLabels.TryNumber(c, out _))
            ? classes.OrderBy(c => { ClassLabels.TryNumber(c, out double v); return v; }).ToArray()
            : classes.Order(StringComparer.Ordinal).ToArray();
        if (classes.Length < 2) throw new ArgumentException("a classifier needs at least two classes among the labels", nameof(labels));
        var index = classes.Select((c, i) => (c, i)).ToDictionary(t => t.c, t => t.i, StringComparer.Ordinal);
        return FromRows(rows, normalized.Select(l => index[l]).ToArray(), classes, featureNames);
    }

    /// <summary>A data set from rows held in memory, with a class index per row into <paramref name="classNames"/>.</summary>
    /// <param name="rows">One array of feature values per row; every row the same length.</param>
    /// <param name="labels">The class index of each row, in [0, classNames.Length).</param>
    /// <param name="classNames">The name of each class.</param>
    /// <param name="featureNames">A name per feature, or null for x1, x2, ….</param>
    /// <returns>The data set, with its own copy of the values.</returns>
    public static Dataset FromRows(float[][] rows, int[] labels, string[] classNames, string[]? featureNames = null)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (rows.Length == 0) throw new ArgumentException("there are no rows", nameof(rows));
        int width = rows[0]?.Length ?? throw new ArgumentException("row 0 is null", nameof(rows));
        var flat = new float[checked(rows.Length * width)];
        for (int r = 0; r < rows.Length; r++)
        {
            if (rows[r] is not { } row || row.Length != width) throw new ArgumentException($"row {r} has {rows[r]?.Length ?? 0} values, row 0 has {width}", nameof(rows));
            row.CopyTo(flat, r * width);
        }
        return Create(flat, rows.Length, width, labels, classNames, featureNames);
    }

    /// <summary>A data set from a [rows, features] matrix, with a class name per row (see <see cref="FromRows(float[][], string[], string[])"/>).</summary>
    /// <param name="rows">The feature matrix, one row per example.</param>
    /// <param name="labels">The class name of each row.</param>
    /// <param name="featureNames">A name per feature, or null for x1, x2, ….</param>
    /// <returns>The data set, with its own copy of the values.</returns>
    public static Dataset FromRows(float[,] rows, string[] labels, string[]? featureNames = null)
    {
        ArgumentNullException.ThrowIfNull(rows);
        return FromRows(ToJagged(rows), labels, featureNames);
    }

    /// <summary>A data set from a [rows, features] matrix, with a class index per row into <paramref name="classNames"/>.</summary>
    /// <param name="rows">The feature matrix, one row per example.</param>
    /// <param name="labels">The class index of each row.</param>
    /// <param name="classNames">The name of each class.</param>
    /// <param name="featureNames">A name per feature, or null for x1, x2, ….</param>
    /// <returns>The data set, with its own copy of the values.</returns>
    public static Dataset FromRows(float[,] rows, int[] labels, string[] classNames, string[]? featureNames = null)
    {
        ArgumentNullException.ThrowIfNull(rows);
        return FromRows(ToJagged(rows), labels, classNames, featureNames);
    }

    private static float[][] ToJagged(float[,] rows) =>
        Enumerable.Range(0, rows.GetLength(0)).Select(r => Enumerable.Range(0, rows.GetLength(1)).Select(c => rows[r, c]).ToArray()).ToArray();

    private static Dataset Create(float[] flat, int rowCount, int width, int[] labels, string[] classNames, string[]? featureNames)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(classNames);
        if (labels.Length != rowCount) throw new ArgumentException($"{labels.Length} labels for {rowCount} rows", nameof(labels));
        for (int i = 0; i < flat.Length; i++)
            if (!float.IsFinite(flat[i])) throw new ArgumentException($"row {i / width}, feature {i % width + 1}: {flat[i]} is not a finite number", "rows");
        featureNames ??= Enumerable.Range(1, width).Select(i => $"x{i}").ToArray();
        if (featureNames.Length != width) throw new ArgumentException($"{featureNames.Length} feature names for rows of {width} values", nameof(featureNames));
        if (featureNames.Distinct(StringComparer.Ordinal).Count() != width) throw new ArgumentException("feature names must be distinct", nameof(featureNames));
        if (classNames.Distinct(StringComparer.Ordinal).Count() != classNames.Length) throw new ArgumentException("class names must be distinct", nameof(classNames));
        return new Dataset(flat, labels, featureNames, classNames);
    }

    /// <summary>[RowCount, FeatureCount], row-major.</summary>
    public float[] Features { get; }
    /// <summary>[RowCount]: the class index of each row into <see cref="ClassNames"/>.</summary>
    public int[] Labels { get; }
    /// <summary>The name of each feature column, in the order of <see cref="Features"/>' columns.</summary>
    public IReadOnlyList<string> FeatureNames { get; }
    /// <summary>The name of each class; a label is an index into this list.</summary>
    public IReadOnlyList<string> ClassNames { get; }
    /// <summary>The number of rows (examples).</summary>
    public int RowCount => Labels.Length;
    /// <summary>The number of feature columns.</summary>
    public int FeatureCount => FeatureNames.Count;
    /// <summary>The number of classes (some may have no rows).</summary>
    public int ClassCount => ClassNames.Count;

    /// <summary>The features of one row, without copying.</summary>
    /// <param name="index">The row, in [0, <see cref="RowCount"/>).</param>
    /// <returns>A view of <see cref="FeatureCount"/> values of <see cref="Features"/>.</returns>
    public ReadOnlySpan<float> Row(int index) => Features.AsSpan(index * FeatureCount, FeatureCount);

    /// <summary>The rows at <paramref name="indices"/>, in that order, as a new data set.</summary>
    /// <param name="indices">Row indices, each in [0, <see cref="RowCount"/>); repeats are allowed.</param>
    /// <returns>A new data set with copies of those rows and the same names.</returns>
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
    /// <param name="features">Row-major [RowCount, FeatureCount] values, used without copying.</param>
    /// <returns>A data set sharing this one's labels and names.</returns>
    public Dataset WithFeatures(float[] features) => new(features, Labels, FeatureNames, ClassNames);

    /// <summary>
    /// This data set laid out for a model: the feature columns named <paramref name="featureNames"/>, in that order
    /// (other columns dropped), and labels renumbered to <paramref name="classNames"/> (matched by name after
    /// the rule for numeric labels, so "1.0" matches "1"; a class the model does not have is an error). Returns this instance when the
    /// layout is already the model's.
    /// </summary>
    /// <exception cref="ArgumentException">A feature the model needs is missing, or a label is not one of its classes; the message names them.</exception>
    /// <param name="featureNames">The model's feature names, in its order.</param>
    /// <param name="classNames">The model's class names, in its order.</param>
    /// <returns>A data set in the model's layout, or this instance.</returns>
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
    /// <returns>[ClassCount]: the number of rows of each class.</returns>
    public int[] ClassCounts()
    {
        var counts = new int[ClassCount];
        foreach (int y in Labels) counts[y]++;
        return counts;
    }
}
