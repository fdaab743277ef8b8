using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Xent.Numerics;

/// <summary>
/// C (+)= A·Bᵀ when both A [m, k] and B [n, k] have contiguous rows (a dense layer's forward pass, x·Wᵀ): every element
/// is a dot product along k, so a 4 × 4 tile of C keeps 16 vector accumulators running along k and reads both operands
/// in place, with no packing. Rows of C are split over the worker threads in whole 4-row slabs, so the result does not
/// depend on the thread count.
/// </summary>
internal static unsafe class DotGemm
{
    public static bool Applies(int aCol, int bRow, int k) => KernelPaths.DotGemm == SimdPath.Vector512 && aCol == 1 && bRow == 1 && k >= 64;

    // a [m, k] (row stride aRow), b [n, k] (row stride bCol) -> c [m, n]
    public static void Multiply(float* a, int aRow, float* b, int bCol, float* c, int m, int k, int n, bool accumulate)
    {
        int slabs = (m + 3) / 4;
        int workers = WorkerPool.Parts((long)m * n * k, WorkerPool.ParallelMultiplyAdds, slabs);
        var job = Job.Current;
        job.Set(a, aRow, b, bCol, c, m, k, n, accumulate, workers);
        if (workers == 1) job.Execute(0);
        else WorkerPool.Run(job, workers);
    }

    private static void Rows(float* a, int aRow, float* b, int bCol, float* c, int i0, int i1, int k, int n, bool accumulate)
    {
        int k16 = k & ~15;
        for (int i = i0; i < i1; i += 4)
        {
            int mr = Math.Min(4, i1 - i);
            for (int j = 0; j < n; j += 4)
            {
                int nr = Math.Min(4, n - j);
                if (mr == 4 && nr == 4) Tile(a + (long)i * aRow, aRow, b + (long)j * bCol, bCol, c + (long)i * n + j, n, k, k16, accumulate);
                else
                    for (int r = 0; r < mr; r++)
                        for (int q = 0; q < nr; q++)
                        {
                            float dot = Dot(a + (long)(i + r) * aRow, b + (long)(j + q) * bCol, k, k16);
                            float* cell = c + (long)(i + r) * n + j + q;
                            *cell = accumulate ? *cell + dot : dot;
                        }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile(float* a, int lda, float* b, int ldb, float* c, int ldc, int k, int k16, bool accumulate)
    {
        float* a0 = a, a1 = a + lda, a2 = a + 2 * lda, a3 = a + 3 * lda;
        float* b0 = b, b1 = b + ldb, b2 = b + 2 * ldb, b3 = b + 3 * ldb;
        Vector512<float> s00 = default, s01 = default, s02 = default, s03 = default;
        Vector512<float> s10 = default, s11 = default, s12 = default, s13 = default;
        Vector512<float> s20 = default, s21 = default, s22 = default, s23 = default;
        Vector512<float> s30 = default, s31 = default, s32 = default, s33 = default;
        for (int p = 0; p < k16; p += 16)
        {
            Vector512<float> x0 = Vector512.Load(a0 + p), x1 = Vector512.Load(a1 + p), x2 = Vector512.Load(a2 + p), x3 = Vector512.Load(a3 + p);
            Vector512<float> y = Vector512.Load(b0 + p);
            s00 = Vector512.FusedMultiplyAdd(x0, y, s00); s10 = Vector512.FusedMultiplyAdd(x1, y, s10);
            s20 = Vector512.FusedMultiplyAdd(x2, y, s20); s30 = Vector512.FusedMultiplyAdd(x3, y, s30);
            y = Vector512.Load(b1 + p);
            s01 = Vector512.FusedMultiplyAdd(x0, y, s01); s11 = Vector512.FusedMultiplyAdd(x1, y, s11);
            s21 = Vector512.FusedMultiplyAdd(x2, y, s21); s31 = Vector512.FusedMultiplyAdd(x3, y, s31);
            y = Vector512.Load(b2 + p);
            s02 = Vector512.FusedMultiplyAdd(x0, y, s02); s12 = Vector512.FusedMultiplyAdd(x1, y, s12);
            s22 = Vector512.FusedMultiplyAdd(x2, y, s22); s32 = Vector512.FusedMultiplyAdd(x3, y, s32);
            y = Vector512.Load(b3 + p);
            s03 = Vector512.FusedMultiplyAdd(x0, y, s03); s13 = Vector512.FusedMultiplyAdd(x1, y, s13);
            s23 = Vector512.FusedMultiplyAdd(x2, y, s23); s33 = Vector512.FusedMultiplyAdd(x3, y, s33);
        }
        Store(c, Vector512.Sum(s00), Vector512.Sum(s01), Vector512.Sum(s02), Vector512.Sum(s03), a0, b0, b1, b2, b3, k16, k, accumulate);
        Store(c + ldc, Vector512.Sum(s10), Vector512.Sum(s11), Vector512.Sum(s12), Vector512.Sum(s13), a1, b0, b1, b2, b3, k16, k, accumulate);
        Store(c + 2 * ldc, Vector512.Sum(s20), Vector512.Sum(s21), Vector512.Sum(s22), Vector512.Sum(s23), a2, b0, b1, b2, b3, k16, k, accumulate);
        Store(c + 3 * ldc, Vector512.Sum(s30), Vector512.Sum(s31), Vector512.Sum(s32), Vector512.Sum(s33), a3, b0, b1, b2, b3, k16, k, accumulate);
    }

    // Adds the scalar tail p ∈ [k16, k) and writes one row of the tile.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* c, float d0, float d1, float d2, float d3, float* a, float* b0, float* b1, float* b2, float* b3, int k16, int k, bool accumulate)
    {
        for (int p = k16; p < k; p++)
        {
            d0 = MathF.FusedMultiplyAdd(a[p], b0[p], d0); d1 = MathF.FusedMultiplyAdd(a[p], b1[p], d1);
            d2 = MathF.FusedMultiplyAdd(a[p], b2[p], d2); d3 = MathF.FusedMultiplyAdd(a[p], b3[p], d3);
        }
        if (accumulate) { c[0] += d0; c[1] += d1; c[2] += d2; c[3] += d3; }
        else { c[0] = d0; c[1] = d1; c[2] = d2; c[3] = d3; }
    }

    private static float Dot(float* x, float* y, int k, int k16)
    {
        Vector512<float> s = default;
        for (int p = 0; p < k16; p += 16) s = Vector512.FusedMultiplyAdd(Vector512.Load(x + p), Vector512.Load(y + p), s);
        float d = Vector512.Sum(s);
        for (int p = k16; p < k; p++) d = MathF.FusedMultiplyAdd(x[p], y[p], d);
        return d;
    }

    private sealed class Job : IWorkItem
    {
        [ThreadStatic] private static Job? t_current;
        public static Job Current => t_current ??= new Job();

        private float* _a, _b, _c;
        private int _aRow, _bCol, _m, _k, _n, _parts;
        private bool _accumulate;

        public void Set(float* a, int aRow, float* b, int bCol, float* c, int m, int k, int n, bool accumulate, int parts)
        {
            _a = a; _aRow = aRow; _b = b; _bCol = bCol; _c = c; _m = m; _k = k; _n = n; _accumulate = accumulate; _parts = parts;
        }

        public void Execute(int part)
        {
            int slabs = (_m + 3) / 4;
            int i0 = (int)((long)slabs * part / _parts) * 4;
            int i1 = Math.Min(_m, (int)((long)slabs * (part + 1) / _parts) * 4);
            if (i0 < i1) Rows(_a, _aRow, _b, _bCol, _c, i0, i1, _k, _n, _accumulate);
        }
    }
}
