using Xent.Numerics;
using static Xent.Tests.Numerical;

namespace Xent.Tests.Numerics;

/// <summary>The packed, register-blocked kernel against the plain triple loops, on odd shapes and every form.</summary>
public class GemmTests
{
    private static readonly int[] Sizes = [1, 3, 17, 63, 65];

    public static TheoryData<int, int, int> OddShapes()
    {
        var data = new TheoryData<int, int, int>();
        foreach (int m in Sizes) foreach (int k in Sizes) foreach (int n in Sizes) data.Add(m, k, n);
        data.Add(257, 65, 63); data.Add(63, 257, 65); data.Add(65, 63, 257); data.Add(257, 3, 257);
        data.Add(257, 257, 65); // large enough to be split over the worker threads
        return data;
    }

    [Theory]
    [MemberData(nameof(OddShapes))]
    public void PackedKernelMatchesTheReferenceInEveryForm(int m, int k, int n)
    {
        var random = new RandomSource(m * 7919 + k * 31 + n);
        float[] a = RandomArray(random, m * k), at = RandomArray(random, k * m), b = RandomArray(random, k * n), bt = RandomArray(random, n * k);
        double tolerance = 1e-5 * Math.Sqrt(k);
        foreach (bool accumulate in new[] { false, true })
        {
            float[] start = RandomArray(random, m * n);
            float[] fast, reference = (float[])start.Clone();
            // Every micro-kernel this CPU can run (Vector512, Vector256, Vector128, scalar), not only the one KernelPaths chose.
            foreach (SimdPath path in KernelPaths.SupportedGemmPaths)
            {
                fast = (float[])start.Clone(); reference = (float[])start.Clone();
                MatMul.PackedMultiply(path, a, k, 1, b, n, 1, fast, m, k, n, accumulate);
                MatMulReference.Multiply(a, b, reference, m, k, n, accumulate);
                AssertClose(reference, fast, tolerance, tolerance, $"{path} A·B {m}×{k}×{n}");

                fast = (float[])start.Clone(); reference = (float[])start.Clone();
                MatMul.PackedMultiply(path, at, 1, m, b, n, 1, fast, m, k, n, accumulate);
                MatMulReference.MultiplyTransposeA(at, b, reference, m, k, n, accumulate);
                AssertClose(reference, fast, tolerance, tolerance, $"{path} Aᵀ·B {m}×{k}×{n}");

                fast = (float[])start.Clone(); reference = (float[])start.Clone();
                MatMul.PackedMultiply(path, a, k, 1, bt, 1, k, fast, m, k, n, accumulate);
                MatMulReference.MultiplyTransposeB(a, bt, reference, m, k, n, accumulate);
                AssertClose(reference, fast, tolerance, tolerance, $"{path} A·Bᵀ {m}×{k}×{n}");
            }

            // The dot-product kernel on every path this CPU has (AVX-512's 4 × 4 tiles, AVX2's 4 × 3).
            foreach (SimdPath path in KernelPaths.SupportedDotGemmPaths)
            {
                fast = (float[])start.Clone();
                MatMul.DotMultiply(path, a, bt, fast, m, k, n, accumulate);
                AssertClose(reference, fast, tolerance, tolerance, $"{path} dot-product A·Bᵀ {m}×{k}×{n}");
            }

            // The small-matrix path, in every form, on the same shapes.
            fast = (float[])start.Clone(); reference = (float[])start.Clone();
            MatMul.SmallMultiply(at, 1, m, b, n, 1, fast, m, k, n, accumulate);
            MatMulReference.MultiplyTransposeA(at, b, reference, m, k, n, accumulate);
            AssertClose(reference, fast, tolerance, tolerance, $"small Aᵀ·B {m}×{k}×{n}");
            fast = (float[])start.Clone(); reference = (float[])start.Clone();
            MatMul.SmallMultiply(a, k, 1, b, n, 1, fast, m, k, n, accumulate);
            MatMulReference.Multiply(a, b, reference, m, k, n, accumulate);
            AssertClose(reference, fast, tolerance, tolerance, $"small A·B {m}×{k}×{n}");
            fast = (float[])start.Clone(); reference = (float[])start.Clone();
            MatMul.SmallMultiply(a, k, 1, bt, 1, k, fast, m, k, n, accumulate);
            MatMulReference.MultiplyTransposeB(a, bt, reference, m, k, n, accumulate);
            AssertClose(reference, fast, tolerance, tolerance, $"small A·Bᵀ {m}×{k}×{n}");

            // The public entry points (which choose between the small and the packed path) agree too.
            fast = (float[])start.Clone();
            MatMul.MultiplyTransposeB(a, bt, fast, m, k, n, accumulate);
            AssertClose(reference, fast, tolerance, tolerance, $"MatMul.MultiplyTransposeB {m}×{k}×{n}");
        }
    }

    [Fact]
    public void NaNAndInfinityPropagateLikeTheReference()
    {
        const int m = 17, k = 65, n = 63;
        var random = new RandomSource(3);
        float[] a = RandomArray(random, m * k), b = RandomArray(random, k * n);
        a[5] = float.NaN;
        b[70] = float.PositiveInfinity;
        var reference = new float[m * n];
        MatMulReference.Multiply(a, b, reference, m, k, n);
        foreach (SimdPath path in KernelPaths.SupportedGemmPaths)
        {
            var fast = new float[m * n];
            MatMul.PackedMultiply(path, a, k, 1, b, n, 1, fast, m, k, n, false);
            for (int i = 0; i < fast.Length; i++)
            {
                Assert.Equal(float.IsNaN(reference[i]), float.IsNaN(fast[i]));
                Assert.Equal(float.IsInfinity(reference[i]), float.IsInfinity(fast[i]));
            }
        }
    }

    [Fact]
    public void TheChosenPathsAreOnesThisCpuSupports()
    {
        Assert.Contains(KernelPaths.Gemm, KernelPaths.SupportedGemmPaths);
        Assert.Equal(KernelPaths.SupportedGemmPaths[0], KernelPaths.Gemm);   // the widest the CPU can run
        Assert.Equal(System.Runtime.Intrinsics.X86.Avx512F.IsSupported, KernelPaths.Gemm == SimdPath.Vector512);
        Assert.Equal(SimdPath.Scalar, KernelPaths.SupportedGemmPaths[^1]);
    }

    [Fact]
    public void ResultsDoNotDependOnHowRowsAreSplitAcrossThreads()
    {
        // Each element is summed by one thread in one order, so a large (threaded) product equals the same rows computed one slab at a time.
        const int m = 300, k = 300, n = 100;
        var random = new RandomSource(4);
        float[] a = RandomArray(random, m * k), b = RandomArray(random, k * n);
        var whole = new float[m * n];
        MatMul.Multiply(a, b, whole, m, k, n);
        var rows = new float[6 * n];
        for (int i = 0; i < m; i += 6)
        {
            MatMul.PackedMultiply(a.AsSpan(i * k), k, 1, b, n, 1, rows, 6, k, n, false);
            Assert.Equal(whole.AsSpan(i * n, 6 * n).ToArray(), rows);
        }
    }

    [Theory]
    [InlineData(64, 300, 260)]   // more columns than rows: split by columns
    [InlineData(260, 300, 64)]   // more rows: split by rows
    public void DotProductResultsDoNotDependOnHowTheProductIsSplitAcrossThreads(int m, int k, int n)
    {
        // Large enough for both threads; the same rows computed four at a time (one thread) must give the same bits.
        var random = new RandomSource(m + n);
        float[] a = RandomArray(random, m * k), bt = RandomArray(random, n * k);
        foreach (SimdPath path in KernelPaths.SupportedDotGemmPaths)
        {
            var whole = new float[m * n];
            MatMul.DotMultiply(path, a, bt, whole, m, k, n, accumulate: false);
            var rows = new float[4 * n];
            for (int i = 0; i < m; i += 4)
            {
                MatMul.DotMultiply(path, a.AsSpan(i * k, 4 * k), bt, rows, 4, k, n, accumulate: false);
                Assert.Equal(whole.AsSpan(i * n, 4 * n).ToArray(), rows);
            }
        }
    }

    [Fact]
    public void AProductWithMorePanelsThanThePoolHasPartsIsPackedWhole()
    {
        // op(B) = Bᵀ with 2²¹ + 5 columns: more panels of B than the 65535 parts the worker pool takes, on every path
        // (AVX-512's panels are 32 columns wide). The packing is cut into at most 65535 parts and every column is computed.
        const int m = 7, k = 8, n = (1 << 21) + 5;
        var random = new RandomSource(9);
        float[] a = RandomArray(random, m * k), bt = RandomArray(random, n * k);
        foreach (SimdPath path in KernelPaths.SupportedGemmPaths)
        {
            var fast = new float[m * n];
            MatMul.PackedMultiply(path, a, k, 1, bt, 1, k, fast, m, k, n, accumulate: false);
            foreach (int j in new[] { 0, 1, 65535 * 8, 65536 * 16 + 3, n - 1 })
                for (int i = 0; i < m; i++)
                {
                    double expected = 0;
                    for (int p = 0; p < k; p++) expected += (double)a[i * k + p] * bt[(long)j * k + p];
                    Assert.True(Math.Abs(expected - fast[(long)i * n + j]) <= 1e-4, $"{path} C[{i}, {j}] = {fast[(long)i * n + j]}, expected {expected}");
                }
        }
    }
}
