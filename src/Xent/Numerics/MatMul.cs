namespace Xent.Numerics;

/// <summary>
/// Row-major float32 matrix products in the three forms backpropagation needs, without materialising a
/// transpose: C = A·B, C = Aᵀ·B and C = A·Bᵀ. Each writes (or, with <c>accumulate</c>, adds into) C. Large products go
/// to the packed, register-blocked <see cref="Gemm"/> kernel; small ones to <see cref="SmallGemm"/>.
/// <see cref="MatMulReference"/> holds the plain triple loops that the tests compare both against.
/// </summary>
public static unsafe class MatMul
{
    /// <summary>
    /// Below this many multiply-adds (or with a tiny inner or outer dimension) the small-matrix path wins: packing costs
    /// more than it saves on Iris-sized layers.
    /// </summary>
    private const long PackedThreshold = 32 * 1024;

    private static bool UsePacked(int m, int k, int n) => (long)m * k * n >= PackedThreshold && k >= 8 && n >= 8;

    // a [m, k], b [k, n] -> c [m, n]
    /// <summary>C = A·B (C += A·B when <paramref name="accumulate"/>).</summary>
    public static void Multiply(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int k, int n, bool accumulate = false)
    {
        CheckShapes(a, b, c, m, k, n, (long)m * k, (long)k * n);
        Strided(a, k, 1, b, n, 1, c, m, k, n, accumulate);
    }

    // a [k, m], b [k, n] -> c [m, n]
    /// <summary>C = Aᵀ·B (C += Aᵀ·B when <paramref name="accumulate"/>); A is stored [k, m], read as A(i, p) = a[p·m + i].</summary>
    public static void MultiplyTransposeA(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int k, int n, bool accumulate = false)
    {
        CheckShapes(a, b, c, m, k, n, (long)k * m, (long)k * n);
        Strided(a, 1, m, b, n, 1, c, m, k, n, accumulate);
    }

    // a [m, k], b [n, k] -> c [m, n]
    /// <summary>C = A·Bᵀ (C += A·Bᵀ when <paramref name="accumulate"/>); B is stored [n, k], read as B(p, j) = b[j·k + p].</summary>
    public static void MultiplyTransposeB(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int k, int n, bool accumulate = false)
    {
        CheckShapes(a, b, c, m, k, n, (long)m * k, (long)n * k);
        Strided(a, k, 1, b, 1, k, c, m, k, n, accumulate);
    }

    // op(A)(i, p) = a[i·aRow + p·aCol], op(B)(p, j) = b[p·bRow + j·bCol] -> c [m, n]
    private static void Strided(ReadOnlySpan<float> a, int aRow, int aCol, ReadOnlySpan<float> b, int bRow, int bCol, Span<float> c, int m, int k, int n, bool accumulate)
    {
        if (m == 0 || n == 0) return;
        fixed (float* ap = a) fixed (float* bp = b) fixed (float* cp = c)
        {
            if (UsePacked(m, k, n) && DotGemm.Applies(aCol, bRow, k)) DotGemm.Multiply(ap, aRow, bp, bCol, cp, m, k, n, accumulate);
            else if (UsePacked(m, k, n)) Gemm.Multiply(ap, aRow, aCol, bp, bRow, bCol, cp, m, k, n, accumulate);
            else SmallGemm.Multiply(ap, aRow, aCol, bp, bRow, bCol, cp, m, k, n, accumulate);
        }
    }

    /// <summary>The packed kernel whatever the size, for tests: op(A)(i, p) = a[i·aRow + p·aCol], op(B)(p, j) = b[p·bRow + j·bCol].</summary>
    internal static void PackedMultiply(ReadOnlySpan<float> a, int aRow, int aCol, ReadOnlySpan<float> b, int bRow, int bCol, Span<float> c, int m, int k, int n, bool accumulate) =>
        PackedMultiply(KernelPaths.Gemm, a, aRow, aCol, b, bRow, bCol, c, m, k, n, accumulate);

    /// <summary>The packed kernel on a given path (one of <see cref="KernelPaths.SupportedGemmPaths"/>), for tests.</summary>
    internal static void PackedMultiply(SimdPath path, ReadOnlySpan<float> a, int aRow, int aCol, ReadOnlySpan<float> b, int bRow, int bCol, Span<float> c, int m, int k, int n, bool accumulate)
    {
        fixed (float* ap = a) fixed (float* bp = b) fixed (float* cp = c)
            Gemm.Multiply(path, ap, aRow, aCol, bp, bRow, bCol, cp, m, k, n, accumulate);
    }

    /// <summary>The dot-product kernel for A·Bᵀ whatever the size, for tests (rows of a [m, k] and b [n, k] contiguous).</summary>
    internal static void DotMultiply(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int k, int n, bool accumulate)
    {
        fixed (float* ap = a) fixed (float* bp = b) fixed (float* cp = c)
            DotGemm.Multiply(ap, k, bp, k, cp, m, k, n, accumulate);
    }

    /// <summary>The small-matrix path whatever the size, for tests.</summary>
    internal static void SmallMultiply(ReadOnlySpan<float> a, int aRow, int aCol, ReadOnlySpan<float> b, int bRow, int bCol, Span<float> c, int m, int k, int n, bool accumulate)
    {
        fixed (float* ap = a) fixed (float* bp = b) fixed (float* cp = c)
            SmallGemm.Multiply(ap, aRow, aCol, bp, bRow, bCol, cp, m, k, n, accumulate);
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
