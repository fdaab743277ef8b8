using Xent.Numerics;

namespace Xent.Tests;

/// <summary>Shared numeric assertions and finite-difference gradient checks for every test in the suite.</summary>
internal static class Numerical
{
    /// <summary>
    /// Asserts |expected − actual| ≤ atol + rtol·|expected| element-wise (NaN matches NaN, ±∞ match themselves),
    /// reporting the worst index, both values and the difference.
    /// </summary>
    public static void AssertClose(ReadOnlySpan<double> expected, ReadOnlySpan<double> actual, double rtol, double atol, string what = "values")
    {
        Assert.True(expected.Length == actual.Length, $"{what}: expected {expected.Length} values, got {actual.Length}");
        int worst = -1;
        double worstExcess = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double e = expected[i], a = actual[i];
            if (double.IsNaN(e) || double.IsNaN(a))
            {
                if (double.IsNaN(e) && double.IsNaN(a)) continue;
                worst = i; worstExcess = double.PositiveInfinity; break;
            }
            if (double.IsInfinity(e) || double.IsInfinity(a))
            {
                if (e == a) continue;
                worst = i; worstExcess = double.PositiveInfinity; break;
            }
            double excess = Math.Abs(e - a) - (atol + rtol * Math.Abs(e));
            if (excess > worstExcess) { worstExcess = excess; worst = i; }
        }
        if (worst >= 0)
            Assert.Fail($"{what}: worst mismatch at index {worst}: expected {expected[worst]:R}, actual {actual[worst]:R}, difference {Math.Abs(expected[worst] - actual[worst]):R} (rtol {rtol}, atol {atol})");
    }

    public static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double rtol, double atol, string what = "values") =>
        AssertClose(ToDouble(expected), ToDouble(actual), rtol, atol, what);

    public static void AssertClose(double expected, double actual, double rtol, double atol, string what = "value") =>
        AssertClose([expected], [actual], rtol, atol, what);

    public static double[] ToDouble(ReadOnlySpan<float> values)
    {
        var result = new double[values.Length];
        for (int i = 0; i < values.Length; i++) result[i] = values[i];
        return result;
    }

    public static float[] RandomArray(RandomSource random, int length, double scale = 1.0)
    {
        var result = new float[length];
        for (int i = 0; i < length; i++) result[i] = (float)(scale * random.NextGaussian());
        return result;
    }

    /// <summary>
    /// Central differences of a scalar function of a float32 buffer, each perturbation h = 1e-3 applied to one
    /// element and the two evaluations taken in double: ∂f/∂x[i] ≈ (f(x + h·e_i) − f(x − h·e_i)) / 2h.
    /// </summary>
    public static double[] NumericGradient(Memory<float> values, Func<double> f, double h = 1e-3)
    {
        var gradient = new double[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            float original = values.Span[i];
            values.Span[i] = (float)(original + h);
            double plus = f();
            values.Span[i] = (float)(original - h);
            double minus = f();
            values.Span[i] = original;
            // Divide by the step actually taken in float32, not the nominal one.
            double step = (double)(float)(original + h) - (float)(original - h);
            gradient[i] = (plus - minus) / step;
        }
        return gradient;
    }

    /// <summary>The style guide's tolerances for an analytic gradient against central differences.</summary>
    public static void AssertGradient(ReadOnlySpan<float> analytic, double[] numeric, string what) =>
        AssertClose(numeric, ToDouble(analytic), rtol: 1e-2, atol: 1e-3, what);
}
