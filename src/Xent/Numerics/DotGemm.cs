using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Xent.Numerics;

/// <summary>
/// C (+)= A·Bᵀ when both A [m, k] and B [n, k] have contiguous rows (a dense layer's forward pass, x·Wᵀ): every element
/// is a dot product along k, so a tile of C keeps its vector accumulators running along k and reads both operands in
/// place, with no packing: 4 × 4 tiles in 16 zmm registers with AVX-512, 4 × 3 tiles in 12 ymm registers with AVX2. Rows
/// of C (or, when there are at least as many columns as rows, its columns) are cut into slabs of whole tiles that the
/// threads claim in runs (<see cref="WorkerPool"/>), so the result does not depend on the thread count.
/// </summary>
internal static unsafe class DotGemm
{
    public static bool Applies(int aCol, int bRow, int k) => KernelPaths.DotGemm != SimdPath.Scalar && aCol == 1 && bRow == 1 && k >= 64;

    // a [m, k] (row stride aRow), b [n, k] (row stride bCol) -> c [m, n]
    public static void Multiply(float* a, int aRow, float* b, int bCol, float* c, int m, int k, int n, bool accumulate) =>
        Multiply(KernelPaths.DotGemm, a, aRow, b, bCol, c, m, k, n, accumulate);

    // The same on a given path, Vector512 or Vector256 (tests run both where the CPU has them).
    public static void Multiply(SimdPath path, float* a, int aRow, float* b, int bCol, float* c, int m, int k, int n, bool accumulate)
    {
        // A layer's forward pass (m = batch rows, n = the layer's units) splits the units when there are at least as many
        // as rows: then each thread reads mostly its own rows of W, the rows that its share of the optimizer's last update
        // wrote (SlicedUpdate cuts every parameter the same way, and in both the caller claims from the front and the
        // worker from the back), so they are still in its core's cache and no core has to take lines from the other's.
        // Split by rows, both threads read all of W; the update then had to take every line of W back from the other core,
        // and mnist-shaped training spent twice as long in it.
        bool columns = n >= m;
        int width = TileColumns(path);
        int slabs = columns ? (n + width - 1) / width : (m + 3) / 4;
        int parts = WorkerPool.Parts((long)m * n * k, WorkerPool.ParallelMultiplyAdds, slabs);
        var job = Job.Current;
        job.Set(path, a, aRow, b, bCol, c, m, k, n, accumulate, parts, columns);
        WorkerPool.Run(job, parts);
    }

    // Rows [i0, i1) × columns [j0, j1) of C, in tiles of 4 rows × TileColumns columns (edges as single dot products); the
    // tile grid starts at row 0 and column 0 whatever the split, so each element is computed the same way on any thread count.
    private static void Block(SimdPath path, float* a, int aRow, float* b, int bCol, float* c, int i0, int i1, int j0, int j1, int k, int n, bool accumulate)
    {
        int width = TileColumns(path);
        for (int i = i0; i < i1; i += 4)
        {
            int mr = Math.Min(4, i1 - i);
            for (int j = j0; j < j1; j += width)
            {
                int nr = Math.Min(width, j1 - j);
                if (mr == 4 && nr == width)
                {
                    if (path == SimdPath.Vector512) Tile(a + (long)i * aRow, aRow, b + (long)j * bCol, bCol, c + (long)i * n + j, n, k, k & ~15, accumulate);
                    else Tile256(a + (long)i * aRow, aRow, b + (long)j * bCol, bCol, c + (long)i * n + j, n, k, k & ~7, width, accumulate);
                }
                else if (mr == 4 && path == SimdPath.Vector256)
                    Tile256(a + (long)i * aRow, aRow, b + (long)j * bCol, bCol, c + (long)i * n + j, n, k, k & ~7, nr, accumulate);   // the last columns
                else
                    for (int r = 0; r < mr; r++)
                        for (int q = 0; q < nr; q++)
                        {
                            float dot = Dot(path, a + (long)(i + r) * aRow, b + (long)(j + q) * bCol, k);
                            float* cell = c + (long)(i + r) * n + j + q;
                            *cell = accumulate ? *cell + dot : dot;
                        }
            }
        }
    }

    // Columns of C per tile: 4 with AVX-512's 32 registers (16 accumulators), 3 with AVX2's 16 (12 accumulators).
    private static int TileColumns(SimdPath path) => path == SimdPath.Vector512 ? 4 : 3;

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

    private static float Dot(SimdPath path, float* x, float* y, int k)
    {
        int p = 0;
        float d;
        if (path == SimdPath.Vector512)
        {
            Vector512<float> s = default;
            for (; p + 16 <= k; p += 16) s = Vector512.FusedMultiplyAdd(Vector512.Load(x + p), Vector512.Load(y + p), s);
            d = Vector512.Sum(s);
        }
        else
        {
            Vector256<float> s = default;
            for (; p + 8 <= k; p += 8) s = Vector256.FusedMultiplyAdd(Vector256.Load(x + p), Vector256.Load(y + p), s);
            d = Vector256.Sum(s);
        }
        for (; p < k; p++) d = MathF.FusedMultiplyAdd(x[p], y[p], d);
        return d;
    }

    // The AVX2 tiles: 4 rows of A × 3 rows of B in 12 accumulators along k (the 2- and 1-column forms for a last group of
    // columns), reduced by a shuffle tree. Twelve accumulators because an FMA's result is ready 4 cycles after it starts and
    // two start every cycle: eight chains (a 4 × 2 tile) left no slack. Three columns of B, one row of A and the 12
    // accumulators fill the 16 ymm registers.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile256(float* a, int lda, float* b, int ldb, float* c, int ldc, int k, int k8, int columns, bool accumulate)
    {
        float* a0 = a, a1 = a + lda, a2 = a + 2 * lda, a3 = a + 3 * lda;
        float* b0 = b, b1 = columns > 1 ? b + ldb : b, b2 = columns > 2 ? b + 2 * ldb : b;
        Vector256<float> s00 = default, s01 = default, s02 = default, s10 = default, s11 = default, s12 = default;
        Vector256<float> s20 = default, s21 = default, s22 = default, s30 = default, s31 = default, s32 = default;
        int p = 0;
        // Two steps of k per iteration: half the loop's bookkeeping.
        for (; p + 16 <= k8; p += 16)
        {
            Step256(a0 + p, a1 + p, a2 + p, a3 + p, b0 + p, b1 + p, b2 + p, ref s00, ref s01, ref s02, ref s10, ref s11, ref s12, ref s20, ref s21, ref s22, ref s30, ref s31, ref s32);
            Step256(a0 + p + 8, a1 + p + 8, a2 + p + 8, a3 + p + 8, b0 + p + 8, b1 + p + 8, b2 + p + 8,
                ref s00, ref s01, ref s02, ref s10, ref s11, ref s12, ref s20, ref s21, ref s22, ref s30, ref s31, ref s32);
        }
        if (p < k8)
            Step256(a0 + p, a1 + p, a2 + p, a3 + p, b0 + p, b1 + p, b2 + p, ref s00, ref s01, ref s02, ref s10, ref s11, ref s12, ref s20, ref s21, ref s22, ref s30, ref s31, ref s32);
        // Columns 0 and 1: row r's two accumulators -> [(r, 0): 4 partial sums | (r, 1): 4 partial sums]
        Vector256<float> t0 = Halves(s00, s01), t1 = Halves(s10, s11), t2 = Halves(s20, s21), t3 = Halves(s30, s31);
        // Lane q of t0 [a0 a1 a2 a3] and t1 [b0 b1 b2 b3] -> [a0 + a2, a1 + a3, b0 + b2, b1 + b3]
        Vector256<float> u01 = Avx.Shuffle(t0, t1, 0x44) + Avx.Shuffle(t0, t1, 0xEE);
        Vector256<float> u23 = Avx.Shuffle(t2, t3, 0x44) + Avx.Shuffle(t2, t3, 0xEE);
        // Lane q of u01 [x0 x1 y0 y1] and u23 [z0 z1 w0 w1] -> [x0 + x1, y0 + y1, z0 + z1, w0 + w1]: rows 0-3 of column q
        Vector256<float> sums01 = Avx.Shuffle(u01, u23, 0x88) + Avx.Shuffle(u01, u23, 0xDD);
        // Column 2: rows 0, 1 and rows 2, 3 paired the same way; then row r is element 4·(r mod 2) + r / 2.
        Vector256<float> v01 = Halves(s02, s12), v23 = Halves(s22, s32);
        Vector256<float> w = Avx.Shuffle(v01, v23, 0x44) + Avx.Shuffle(v01, v23, 0xEE);
        Vector256<float> sums2 = Avx.Shuffle(w, w, 0x88) + Avx.Shuffle(w, w, 0xDD);
        for (int r = 0; r < 4; r++)
        {
            float d0 = sums01[r], d1 = sums01[4 + r], d2 = sums2[4 * (r & 1) + (r >> 1)];
            float* ar = a + (long)r * lda;
            for (int q = k8; q < k; q++)
            {
                d0 = MathF.FusedMultiplyAdd(ar[q], b0[q], d0);
                d1 = MathF.FusedMultiplyAdd(ar[q], b1[q], d1);
                d2 = MathF.FusedMultiplyAdd(ar[q], b2[q], d2);
            }
            float* cr = c + (long)r * ldc;
            cr[0] = accumulate ? cr[0] + d0 : d0;
            if (columns > 1) cr[1] = accumulate ? cr[1] + d1 : d1;
            if (columns > 2) cr[2] = accumulate ? cr[2] + d2 : d2;
        }
    }

    // One step of k (8 floats) of the AVX2 tile: three vectors of B against each row of A, into the 12 accumulators.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Step256(float* a0, float* a1, float* a2, float* a3, float* b0, float* b1, float* b2,
        ref Vector256<float> s00, ref Vector256<float> s01, ref Vector256<float> s02, ref Vector256<float> s10, ref Vector256<float> s11, ref Vector256<float> s12,
        ref Vector256<float> s20, ref Vector256<float> s21, ref Vector256<float> s22, ref Vector256<float> s30, ref Vector256<float> s31, ref Vector256<float> s32)
    {
        Vector256<float> y0 = Vector256.Load(b0), y1 = Vector256.Load(b1), y2 = Vector256.Load(b2);
        Vector256<float> x = Vector256.Load(a0);
        s00 = Fma.MultiplyAdd(x, y0, s00); s01 = Fma.MultiplyAdd(x, y1, s01); s02 = Fma.MultiplyAdd(x, y2, s02);
        x = Vector256.Load(a1);
        s10 = Fma.MultiplyAdd(x, y0, s10); s11 = Fma.MultiplyAdd(x, y1, s11); s12 = Fma.MultiplyAdd(x, y2, s12);
        x = Vector256.Load(a2);
        s20 = Fma.MultiplyAdd(x, y0, s20); s21 = Fma.MultiplyAdd(x, y1, s21); s22 = Fma.MultiplyAdd(x, y2, s22);
        x = Vector256.Load(a3);
        s30 = Fma.MultiplyAdd(x, y0, s30); s31 = Fma.MultiplyAdd(x, y1, s31); s32 = Fma.MultiplyAdd(x, y2, s32);
    }

    // x, y -> [x.lo + x.hi, y.lo + y.hi] (128-bit halves)
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Halves(Vector256<float> x, Vector256<float> y) => Avx.Permute2x128(x, y, 0x20) + Avx.Permute2x128(x, y, 0x31);

    private sealed class Job : IWorkItem
    {
        [ThreadStatic] private static Job? t_current;
        public static Job Current => t_current ??= new Job();

        private float* _a, _b, _c;
        private int _aRow, _bCol, _m, _k, _n, _parts;
        private bool _accumulate, _columns;
        private SimdPath _path;

        public void Set(SimdPath path, float* a, int aRow, float* b, int bCol, float* c, int m, int k, int n, bool accumulate, int parts, bool columns)
        {
            _a = a; _aRow = aRow; _b = b; _bCol = bCol; _c = c; _m = m; _k = k; _n = n; _accumulate = accumulate; _parts = parts; _columns = columns; _path = path;
        }

        // Parts [first, last): their share of the tile columns (or rows), whole tiles.
        public void Execute(int first, int last)
        {
            if (_columns)
            {
                int width = TileColumns(_path);
                (int from, int to) = WorkerPool.Share((_n + width - 1) / width, first, last, _parts);
                if (from < to) Block(_path, _a, _aRow, _b, _bCol, _c, 0, _m, from * width, Math.Min(_n, to * width), _k, _n, _accumulate);
                return;
            }
            (int start, int end) = WorkerPool.Share((_m + 3) / 4, first, last, _parts);
            if (start < end) Block(_path, _a, _aRow, _b, _bCol, _c, start * 4, Math.Min(_m, end * 4), 0, _n, _k, _n, _accumulate);
        }

    }
}
