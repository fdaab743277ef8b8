using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Xent.Numerics;

/// <summary>
/// C (+)= A·Bᵀ when both A [m, k] and B [n, k] have contiguous rows (a dense layer's forward pass, x·Wᵀ): every element
/// is a dot product along k, so a 4 × 4 tile of C keeps 16 vector accumulators running along k and reads both operands
/// in place, with no packing. Rows of C (or, when there are at least as many columns as rows, its columns) are split over the worker threads in whole 4-row slabs (4-column groups), so the result does not
/// depend on the thread count.
/// </summary>
internal static unsafe class DotGemm
{
    public static bool Applies(int aCol, int bRow, int k) => KernelPaths.DotGemm == SimdPath.Vector512 && aCol == 1 && bRow == 1 && k >= 64;

    // a [m, k] (row stride aRow), b [n, k] (row stride bCol) -> c [m, n]
    public static void Multiply(float* a, int aRow, float* b, int bCol, float* c, int m, int k, int n, bool accumulate)
    {
        // A layer's forward pass (m = batch rows, n = the layer's units) splits the units when there are at least as many
        // as rows: then each thread reads only its own rows of W, the same rows that its part of the optimizer's last
        // update wrote (SlicedUpdate gives part t the same share of every parameter), so they are still in its core's
        // cache and no core has to take lines from the other's. Split by rows, both threads read all of W; the update
        // then had to take every line of W back from the other core, and mnist-shaped training spent twice as long in it.
        bool columns = n >= m;
        int slabs = columns ? (n + 3) / 4 : (m + 3) / 4;
        int workers = WorkerPool.Parts((long)m * n * k, WorkerPool.ParallelMultiplyAdds, slabs);
        var job = Job.Current;
        job.Set(a, aRow, b, bCol, c, m, k, n, accumulate, workers, columns);
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

    // All rows of C, columns [j0, j1).
    private static void Columns(float* a, int aRow, float* b, int bCol, float* c, int m, int j0, int j1, int k, int n, bool accumulate)
    {
        int k16 = k & ~15;
        for (int i = 0; i < m; i += 4)
        {
            int mr = Math.Min(4, m - i);
            for (int j = j0; j < j1; j += 4)
            {
                int nr = Math.Min(4, j1 - j);
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
        // The 16 dot products of the tile, reduced together: a tree of shuffles and adds turns the 16 accumulators into one
        // vector whose 128-bit lane r holds row r of the tile (4 columns), in 15 adds instead of 16 separate horizontal sums.
        Vector512<float> sums = SumTile(s00, s01, s02, s03, s10, s11, s12, s13, s20, s21, s22, s23, s30, s31, s32, s33);
        if (k16 == k)
        {
            StoreRow(c, sums.GetLower().GetLower(), accumulate);
            StoreRow(c + ldc, sums.GetLower().GetUpper(), accumulate);
            StoreRow(c + 2 * ldc, sums.GetUpper().GetLower(), accumulate);
            StoreRow(c + 3 * ldc, sums.GetUpper().GetUpper(), accumulate);
            return;
        }
        Store(c, sums[0], sums[1], sums[2], sums[3], a0, b0, b1, b2, b3, k16, k, accumulate);
        Store(c + ldc, sums[4], sums[5], sums[6], sums[7], a1, b0, b1, b2, b3, k16, k, accumulate);
        Store(c + 2 * ldc, sums[8], sums[9], sums[10], sums[11], a2, b0, b1, b2, b3, k16, k, accumulate);
        Store(c + 3 * ldc, sums[12], sums[13], sums[14], sums[15], a3, b0, b1, b2, b3, k16, k, accumulate);
    }

    // Four sums of a tile row into C: stored, or added to what C holds.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(float* c, Vector128<float> row, bool accumulate) => (accumulate ? Vector128.Load(c) + row : row).Store(c);

    // sRQ [16 lanes] for tile row R and column Q -> one vector whose element 4R + Q is the sum of sRQ's lanes. Step 1 adds
    // the 256-bit halves of the accumulators of rows 2i and 2i + 1 of one column into one vector; step 2 their 128-bit
    // quarters, leaving for column Q a vector whose lane R holds four partial sums of (R, Q); steps 3 and 4 add within lanes.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> SumTile(
        Vector512<float> s00, Vector512<float> s01, Vector512<float> s02, Vector512<float> s03,
        Vector512<float> s10, Vector512<float> s11, Vector512<float> s12, Vector512<float> s13,
        Vector512<float> s20, Vector512<float> s21, Vector512<float> s22, Vector512<float> s23,
        Vector512<float> s30, Vector512<float> s31, Vector512<float> s32, Vector512<float> s33)
    {
        Vector512<float> q0 = Quarters(Halves(s00, s10), Halves(s20, s30));
        Vector512<float> q1 = Quarters(Halves(s01, s11), Halves(s21, s31));
        Vector512<float> q2 = Quarters(Halves(s02, s12), Halves(s22, s32));
        Vector512<float> q3 = Quarters(Halves(s03, s13), Halves(s23, s33));
        // Step 3: lane R of q0 [a0 a1 a2 a3] and q1 [b0 b1 b2 b3] -> [a0 + a2, a1 + a3, b0 + b2, b1 + b3].
        Vector512<float> p01 = Avx512F.Shuffle(q0, q1, 0x44) + Avx512F.Shuffle(q0, q1, 0xEE);
        Vector512<float> p23 = Avx512F.Shuffle(q2, q3, 0x44) + Avx512F.Shuffle(q2, q3, 0xEE);
        // Step 4: lane R of p01 [x0 x1 y0 y1] and p23 [z0 z1 w0 w1] -> [x0 + x1, y0 + y1, z0 + z1, w0 + w1].
        return Avx512F.Shuffle(p01, p23, 0x88) + Avx512F.Shuffle(p01, p23, 0xDD);
    }

    // x, y [lanes L0..L3] -> [x.L0 + x.L2, x.L1 + x.L3, y.L0 + y.L2, y.L1 + y.L3]
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Halves(Vector512<float> x, Vector512<float> y) => Avx512F.Shuffle4x128(x, y, 0x44) + Avx512F.Shuffle4x128(x, y, 0xEE);

    // t0 (row r's halves in lanes 0-1, row r + 1's in 2-3), t1 (the same for rows r + 2, r + 3) -> lane i: row i's two halves added
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Quarters(Vector512<float> t0, Vector512<float> t1) => Avx512F.Shuffle4x128(t0, t1, 0x88) + Avx512F.Shuffle4x128(t0, t1, 0xDD);

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
        private bool _accumulate, _columns;

        public void Set(float* a, int aRow, float* b, int bCol, float* c, int m, int k, int n, bool accumulate, int parts, bool columns)
        {
            _a = a; _aRow = aRow; _b = b; _bCol = bCol; _c = c; _m = m; _k = k; _n = n; _accumulate = accumulate; _parts = parts; _columns = columns;
        }

        public void Execute(int part)
        {
            if (_columns)
            {
                int groups = (_n + 3) / 4;
                int j0 = (int)((long)groups * part / _parts) * 4;
                int j1 = Math.Min(_n, (int)((long)groups * (part + 1) / _parts) * 4);
                if (j0 < j1) Columns(_a, _aRow, _b, _bCol, _c, _m, j0, j1, _k, _n, _accumulate);
                return;
            }
            int slabs = (_m + 3) / 4;
            int i0 = (int)((long)slabs * part / _parts) * 4;
            int i1 = Math.Min(_m, (int)((long)slabs * (part + 1) / _parts) * 4);
            if (i0 < i1) Rows(_a, _aRow, _b, _bCol, _c, i0, i1, _k, _n, _accumulate);
        }

    }
}
