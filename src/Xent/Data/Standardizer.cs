namespace Xent.Data;

/// <summary>
/// Per-feature standardisation x′ = (x − mean) / deviation, fitted on training rows only (population deviation,
/// as scikit-learn's StandardScaler); a constant feature gets deviation 1 so it maps to 0.
/// </summary>
public sealed class Standardizer
{
    /// <summary>A standardiser with the given statistics (e.g. read from a model file).</summary>
    /// <param name="mean">The mean of each feature; every value finite.</param>
    /// <param name="deviation">The deviation of each feature, as long as <paramref name="mean"/>; every value positive and finite.</param>
    /// <exception cref="ArgumentException">The lengths differ, or a value is not finite (or a deviation not positive).</exception>
    public Standardizer(float[] mean, float[] deviation)
    {
        if (mean.Length != deviation.Length) throw new ArgumentException("mean and deviation differ in length", nameof(deviation));
        foreach (float d in deviation)
            if (!(d > 0) || !float.IsFinite(d)) throw new ArgumentException($"every deviation must be positive and finite, got {d}", nameof(deviation));
        foreach (float m in mean)
            if (!float.IsFinite(m)) throw new ArgumentException($"every mean must be finite, got {m}", nameof(mean));
        Mean = mean;
        Deviation = deviation;
    }

    /// <summary>[FeatureCount]: the value subtracted from each feature.</summary>
    public float[] Mean { get; }
    /// <summary>[FeatureCount]: the positive value each centred feature is divided by.</summary>
    public float[] Deviation { get; }
    /// <summary>The number of features this standardiser transforms.</summary>
    public int FeatureCount => Mean.Length;

    // features [rows, columns] -> mean [columns], deviation [columns], accumulated in double
    /// <summary>Fits the mean and the population deviation of each column, accumulated in double in two passes.</summary>
    /// <param name="features">Row-major [rows, columns] training values.</param>
    /// <param name="rows">The number of rows; at least one.</param>
    /// <param name="columns">The number of features.</param>
    /// <returns>The fitted standardiser.</returns>
    /// <exception cref="ArgumentException"><paramref name="rows"/> is less than one.</exception>
    public static Standardizer Fit(ReadOnlySpan<float> features, int rows, int columns)
    {
        if (rows < 1) throw new ArgumentException("needs at least one row to fit", nameof(rows));
        var mean = new double[columns];
        AddColumns(features, rows, columns, mean);
        for (int c = 0; c < columns; c++) mean[c] /= rows;
        var squares = new double[columns];
        AddSquaredDeviations(features, rows, columns, mean, squares);
        return FromMoments(mean, squares, rows);
    }

    /// <summary>
    /// The same fit over the rows that the processes of <paramref name="group"/> hold together: the column sums and row
    /// counts are all-reduced for the mean, then the squared deviations about that mean for the deviation (two passes,
    /// as <see cref="Fit(ReadOnlySpan{float}, int, int)"/>). Every process gets the same standardiser.
    /// </summary>
    /// <param name="data">This process's training rows.</param>
    /// <param name="group">The processes holding the other training rows; every one calls this method.</param>
    /// <returns>The standardiser of all processes' rows.</returns>
    public static Standardizer Fit(Dataset data, Distributed.ICollectives group)
    {
        if (group.Size == 1) return Fit(data);
        int columns = data.FeatureCount, rows = data.RowCount;
        var sums = new double[columns + 1];
        AddColumns(data.Features, rows, columns, sums);
        sums[columns] = rows;
        group.AllReduceSum(sums);
        double total = sums[columns];
        if (total < 1) throw new ArgumentException("needs at least one row to fit", nameof(data));
        double[] mean = sums[..columns];
        for (int c = 0; c < columns; c++) mean[c] /= total;
        var squares = new double[columns];
        AddSquaredDeviations(data.Features, rows, columns, mean, squares);
        group.AllReduceSum(squares);
        return FromMoments(mean, squares, total);
    }

    internal static void AddColumns(ReadOnlySpan<float> features, int rows, int columns, Span<double> sums)
    {
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < columns; c++) sums[c] += features[r * columns + c];
    }

    internal static void AddSquaredDeviations(ReadOnlySpan<float> features, int rows, int columns, ReadOnlySpan<double> mean, Span<double> squares)
    {
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < columns; c++)
            {
                double d = features[r * columns + c] - mean[c];
                squares[c] += d * d;
            }
    }

    private static Standardizer FromMoments(double[] mean, double[] squares, double rows)
    {
        var deviation = new float[mean.Length];
        for (int c = 0; c < mean.Length; c++)
        {
            double sd = Math.Sqrt(squares[c] / rows);
            deviation[c] = sd > 1e-12 * Math.Max(1, Math.Abs(mean[c])) ? (float)sd : 1f;
        }
        return new Standardizer(mean.Select(m => (float)m).ToArray(), deviation);
    }

    /// <summary>Fits on every row of <paramref name="data"/>, as <see cref="Fit(ReadOnlySpan{float}, int, int)"/>.</summary>
    /// <param name="data">The training rows.</param>
    /// <returns>The fitted standardiser.</returns>
    public static Standardizer Fit(Dataset data) => Fit(data.Features, data.RowCount, data.FeatureCount);

    // features [rows, columns] -> destination [rows, columns]; may be the same buffer
    /// <summary>Writes x′ = (x − mean) / deviation for every value; <paramref name="destination"/> may be the same memory as <paramref name="features"/>.</summary>
    /// <param name="features">Row-major [rows, FeatureCount] values.</param>
    /// <param name="destination">Receives the standardised values; at least as long as <paramref name="features"/>.</param>
    /// <exception cref="ArgumentException">The length of <paramref name="features"/> is not a multiple of <see cref="FeatureCount"/>.</exception>
    public void Transform(ReadOnlySpan<float> features, Span<float> destination)
    {
        int columns = Mean.Length;
        if (features.Length % columns != 0) throw new ArgumentException($"length {features.Length} is not a multiple of {columns} features", nameof(features));
        for (int i = 0; i < features.Length; i++)
        {
            int c = i % columns;
            destination[i] = (features[i] - Mean[c]) / Deviation[c];
        }
    }

    // rows [n, features], standardised in place a row at a time: the same subtraction and division, each rounded to
    // float32, as Transform, so the values are bit for bit the same.
    internal void TransformInPlace(Span<float> rows)
    {
        int columns = Mean.Length;
        for (int start = 0; start + columns <= rows.Length; start += columns)
        {
            Span<float> row = rows.Slice(start, columns);
            System.Numerics.Tensors.TensorPrimitives.Subtract(row, Mean, row);
            System.Numerics.Tensors.TensorPrimitives.Divide(row, Deviation, row);
        }
    }

    // mean [columns] and the squared deviations about it summed over `rows` rows -> the standardiser (as Fit)
    internal static Standardizer FromSums(double[] mean, double[] squares, double rows) => FromMoments(mean, squares, rows);

    /// <summary>The standardised copy of a data set.</summary>
    /// <param name="data">Rows with <see cref="FeatureCount"/> features.</param>
    /// <returns>A new data set with standardised features and the same labels and names.</returns>
    public Dataset Transform(Dataset data)
    {
        var features = new float[data.Features.Length];
        Transform(data.Features, features);
        return data.WithFeatures(features);
    }
}
