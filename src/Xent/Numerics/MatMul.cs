using System.Numerics.Tensors;

namespace Xent.Numerics;

/// <summary>
/// Row-major float32 matrix products in the three forms backpropagation needs, without materialising a
/// transpose: C = A·B, C = Aᵀ·B and C = A·Bᵀ. Each writes (or, with <c>accumulate</c>, adds into) C.
/// <see cref="MatMulReference"/> holds the plain triple loops that the tests compare these against.
/// </summary>
public static class MatMul
{
    // a [m, k], b [k, n] -> c [m, n]
    /// <summary>C = A·B (C += A·B when <paramref name="accumulate"/>).</summary>
    public static void Multiply(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int k, int n, bool accumulate = false)
    {
        CheckShapes(a, b, c, m, k, n, (long)m * k, (long)k * n);
        if (!accumulate) c[..(m * n)].Clear();
        for (int i = 0; i < m; i++)
        {
            Span<float> cRow = c.Slice(i * n, n);
            ReadOnlySpan<float> aRow = a.Slice(i * k, k);
            for (int p = 0; p < k; p++)
            {
                // cRow += a[i, p] * b[p, :]
                TensorPrimitives.MultiplyAdd(b.Slice(p * n, n), aRow[p], cRow, cRow);
            }
        }
    }

    // a [k, m], b [k, n] -> c [m, n]
    /// <summary>C = Aᵀ·B (C += Aᵀ·B when <paramref name="accumulate"/>); A is stored [k, m].</summary>
    public static void MultiplyTransposeA(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int k, int n, bool accumulate = false)
    {
        CheckShapes(a, b, c, m, k, n, (long)k * m, (long)k * n);
        if (!accumulate) c[..(m * n)].Clear();
        for (int p = 0; p < k; p++)
        {
            ReadOnlySpan<float> aRow = a.Slice(p * m, m);
            ReadOnlySpan<float> bRow = b.Slice(p * n, n);
            for (int i = 0; i < m; i++)
            {
                Span<float> cRow = c.Slice(i * n, n);
                TensorPrimitives.MultiplyAdd(bRow, aRow[i], cRow, cRow);
            }
        }
    }

    // a [m, k], b [n, k] -> c [m, n]
    /// <summary>C = A·Bᵀ (C += A·Bᵀ when <paramref name="accumulate"/>); B is stored [n, k].</summary>
    public static void MultiplyTransposeB(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int k, int n, bool accumulate = false)
    {
        CheckShapes(a, b, c, m, k, n, (long)m * k, (long)n * k);
        for (int i = 0; i < m; i++)
        {
            ReadOnlySpan<float> aRow = a.Slice(i * k, k);
            for (int j = 0; j < n; j++)
            {
                float dot = TensorPrimitives.Dot(aRow, b.Slice(j * k, k));
                c[i * n + j] = accumulate ? c[i * n + j] + dot : dot;
            }
        }
    }

    internal static void CheckShapes(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int k, int n, long aLength, long bLength)
    {
        if (m < 0) throw new ArgumentOutOfRangeException(nameof(m), m, "must not be negative");
        if (k < 0) throw new ArgumentOutOfRangeException(nameof(k), k, "must not be negative");
        if (n < 0) throw new ArgumentOutOfRangeException(nameof(n), n, "must not be negative");
        if (a.Length < aLength) throw new ArgumentException($"needs {aLength} elements, has {a.Length}", nameof(a));
        if (b.Length < bLength) throw new ArgumentException($"needs {bLength} elements, has {b.Length}", nameof(b));
        if (c.Length < (long)m * n) throw new ArgumentException($"needs {(long)m * n} elements, has {c.Length}", nameof(c));
    }
}

/// <summary>The obviously-correct triple loops, accumulated in double, that the fast kernels are tested against.</summary>
public static class MatMulReference
{
    // a [m, k], b [k, n] -> c [m, n]
    public static void Multiply(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int k, int n, bool accumulate = false)
    {
        MatMul.CheckShapes(a, b, c, m, k, n, (long)m * k, (long)k * n);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double sum = accumulate ? c[i * n + j] : 0;
                for (int p = 0; p < k; p++) sum += (double)a[i * k + p] * b[p * n + j];
                c[i * n + j] = (float)sum;
            }
    }

    // a [k, m], b [k, n] -> c [m, n]
    public static void MultiplyTransposeA(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int k, int n, bool accumulate = false)
    {
        MatMul.CheckShapes(a, b, c, m, k, n, (long)k * m, (long)k * n);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double sum = accumulate ? c[i * n + j] : 0;
                for (int p = 0; p < k; p++) sum += (double)a[p * m + i] * b[p * n + j];
                c[i * n + j] = (float)sum;
            }
    }

    // a [m, k], b [n, k] -> c [m, n]
    public static void MultiplyTransposeB(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int k, int n, bool accumulate = false)
    {
        MatMul.CheckShapes(a, b, c, m, k, n, (long)m * k, (long)n * k);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double sum = accumulate ? c[i * n + j] : 0;
                for (int p = 0; p < k; p++) sum += (double)a[i * k + p] * b[j * k + p];
                c[i * n + j] = (float)sum;
            }
    }
}
