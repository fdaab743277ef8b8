namespace Xent.Numerics;

// The kernels, version by version (llm.c's matmul_forward.cu keeps such a list). Each fast path has a plain version
// beside it that its test compares it with; KernelPaths decides each path once, from what the CPU can do, and
// KernelPaths.Describe() prints the choice (the benchmark does). Memory-bound passes keep the runtime's preferred width
// (Vector512.IsHardwareAccelerated, false on Intel AVX-512 parts and under DOTNET_PreferredVectorBitWidth=256);
// compute-bound kernels use AVX-512 whenever the CPU has it (Avx512F.IsSupported). CI runs the library's tests with
// DOTNET_PreferredVectorBitWidth=256, DOTNET_EnableAVX512=0 and DOTNET_EnableHWIntrinsic=0 besides the default.
//
//  #  kernel (file)                 path       taken when                                        why                                         tested by
//  1  reference (MatMulReference)   scalar     tests and benchmarks only                         obviously correct triple loops, in double    KernelTests (hand-computed product)
//  2  small GEMM (SmallGemm.cs)     512 / 256  m·k·n < 32768, or k < 8, or n < 8                 Iris-sized layers: packing costs more than   KernelTests, GemmTests.SmallPath…
//                                              (width: Vector512/256.IsHardwareAccelerated)      it saves; row-register accumulation
//  3  packed GEMM (Gemm.cs)         Vector512  otherwise, Avx512F.IsSupported                    6×32 tile, 12 zmm accumulators               GemmTests (every path the CPU supports)
//                                   Vector256  else Vector256 accelerated and Fma.IsSupported    6×16 tile, 12 ymm accumulators               GemmTests, CI's DOTNET_EnableAVX512=0 run
//                                   Vector128  else Vector128 accelerated (SSE, ARM64 AdvSimd)   6×8 tile; ARM64 and pre-AVX x86              GemmTests
//                                   scalar     otherwise                                         reference-shaped loops                       GemmTests, CI's DOTNET_EnableHWIntrinsic=0 run
//  4  dot-product GEMM (DotGemm.cs) Vector512  as 3, for A·Bᵀ with contiguous rows, k ≥ 64,      x·Wᵀ as dot products, no packing of Wᵀ;     GemmTests (DotMultiply, both paths the CPU has)
//                                              Avx512F.IsSupported                               4 × 4 tiles, one shuffle tree per tile
//                                   Vector256  else Avx2 and Fma                                 4 × 3 tiles, 12 of the 16 ymm registers    GemmTests, CI's DOTNET_EnableAVX512=0 run
//                                   none       otherwise: 3 serves x·Wᵀ                          (packs Wᵀ each call)
//  5  fused small step              Vector512  2 layers, ≤ 16 → ≤ 32 ReLU → ≤ 16, plain mean     16 rows per register, permute-tree sums      FusedSmallStepTests (both widths the CPU has)
//     (FusedSmallStep.cs)                      cross entropy (Training/SmallNetworkPath), AVX-512
//                                   Vector256  else Avx2 and Fma                                 8 rows per register, hadd-tree sums          FusedSmallStepTests, CI's DOTNET_EnableAVX512=0 run
//                                   none       otherwise: the general path                       Dense, loss, Backward                        TrainerTests
//  6  element-wise (Elementwise.cs) 512/256/   every optimizer update and activation derivative  one loop for all widths and the tail;       ElementwiseTests (lengths 0..256, NaN, ±∞),
//                                   128/scalar (widest the runtime prefers, then narrower)       each operation a struct per width            OptimizerKernelTests
//
// Splitting over cores: products of at least WorkerPool.ParallelMultiplyAdds and element-wise passes of at least
// WorkerPool.ParallelElements use the worker threads (3, 4, optimizer updates, batch gathers); every element is computed
// by one thread in one order, so results do not depend on the thread count (GemmTests.ResultsDoNotDependOn…).
//
// Memory: parameters, their gradients, the network's activation buffers, the training batch and the packed panels start on a
// 64-byte boundary (AlignedMemory), so that vector loads along rows whose width is a multiple of 16 floats never straddle
// two cache lines (AlignedMemoryTests). The optimizers' state and buffers the caller hands in keep their own alignment.

/// <summary>
/// Row-major float32 matrix products in the three forms backpropagation needs, without materialising a
/// transpose: C = A·B, C = Aᵀ·B and C = A·Bᵀ. Each writes (or, with <c>accumulate</c>, adds into) C. Which kernel serves a
/// product is listed at the top of this file; <see cref="MatMulReference"/> holds the plain triple loops that the tests
/// compare every kernel against.
/// </summary>
internal static unsafe class MatMul
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

    /// <summary>The dot-product kernel for A·Bᵀ on a given path (one of <see cref="KernelPaths.SupportedDotGemmPaths"/>) whatever the size, for tests (rows of a [m, k] and b [n, k] contiguous).</summary>
    internal static void DotMultiply(SimdPath path, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int k, int n, bool accumulate)
    {
        fixed (float* ap = a) fixed (float* bp = b) fixed (float* cp = c)
            DotGemm.Multiply(path, ap, k, bp, k, cp, m, k, n, accumulate);
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

/// <summary>The obviously-correct triple loops, accumulated in double, that the fast kernels are tested against (kernel 1 above).</summary>
internal static class MatMulReference
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
