using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Xent.Numerics;

/// <summary>
/// The packed, register-blocked single-precision matrix multiply behind <see cref="MatMul"/>:
/// C[m, n] (+)= op(A)[m, k] · op(B)[k, n], where each operand is addressed through a row stride and a column stride, so the
/// transposed forms need no transposed copy — the packing step reads them in whatever order they are stored.
/// <para>
/// Loop structure (Goto/BLIS): for each block of KC rows of op(B), pack it into column panels of NR; for each block of MC
/// rows of op(A), pack it into row panels of MR; then an MR × NR micro-kernel keeps the whole C tile in registers and
/// streams both panels with fused multiply-adds. On AVX-512 the tile is 6 × 32 (12 zmm accumulators), on AVX2 6 × 16,
/// with Vector128 6 × 8; <see cref="KernelPaths.Gemm"/> chooses.
/// Large products are cut into MR-row slabs that the threads claim in runs (<see cref="WorkerPool"/>), so every element of C
/// is summed by one thread in one order: results do not depend on the thread count or on who ran which slab.
/// </para>
/// </summary>
internal static unsafe class Gemm
{
    private const int MR = 6;
    private const int KC = 256;
    private const int MC = 96;

    /// <summary>Columns of a micro-tile on each path: two vectors' worth.</summary>
    private static int PanelWidth(SimdPath path) => path switch { SimdPath.Vector512 => 32, SimdPath.Vector256 => 16, _ => 8 };

    // Pinned and 64-byte aligned (AlignedMemory): the micro-kernel's loads from the B panels never straddle two cache lines.
    [ThreadStatic] private static Memory<float> t_packedA;
    [ThreadStatic] private static Memory<float> t_packedB;

    // C[i, j] = Σ_p A(i, p)·B(p, j) with A(i, p) = a[i·aRow + p·aCol], B(p, j) = b[p·bRow + j·bCol], C row-major with ldc = n.
    public static void Multiply(float* a, int aRow, int aCol, float* b, int bRow, int bCol, float* c, int m, int k, int n, bool accumulate) =>
        Multiply(KernelPaths.Gemm, a, aRow, aCol, b, bRow, bCol, c, m, k, n, accumulate);

    // The same on a given path (tests run every path the CPU supports).
    public static void Multiply(SimdPath path, float* a, int aRow, int aCol, float* b, int bRow, int bCol, float* c, int m, int k, int n, bool accumulate)
    {
        int width = PanelWidth(path);
        if (m == 0 || n == 0) return;
        if (k == 0)
        {
            if (!accumulate) new Span<float>(c, m * n).Clear();
            return;
        }
        int panels = (n + width - 1) / width;
        // All of op(B) packed at once (block p0 of KC rows at packedB + p0·panels·width), so each worker runs through every k
        // block on its own rows after at most one hand-off for packing and one for computing: a hand-off per k block (two
        // waits for the slowest thread each) cost more than the packing on batch-sized products when threads are contended.
        long packedLength = (long)k * panels * width;
        if (t_packedB.Length < packedLength) t_packedB = AlignedMemory.Allocate(checked((int)packedLength));
        Memory<float> packedB = t_packedB;
        int slabs = (m + MR - 1) / MR;
        int parts = WorkerPool.Parts((long)m * n * k, WorkerPool.ParallelMultiplyAdds, slabs);   // 1, or one part per slab
        // When op(B)'s rows are contiguous (C = A·B), the kernel can read full panels in place (only a ragged last panel is
        // packed), saving the packing pass; mnist's batch-sized products gained from it. But a tall product reads every panel
        // once per MC block, and in place a panel's rows are a row of B apart: when that stride is a multiple of 128 floats
        // (512 bytes) they fall into at most 8 of the 64 L1 sets and evict each other. Then B is packed: 1024³ with the AVX2
        // kernel went from 94-134 to 186-201 GFLOP/s, 2-4% better with AVX-512 (AMD EPYC, 2 threads).
        int threads = Math.Min(WorkerPool.Size, parts);
        bool direct = bCol == 1 && ((m + threads - 1) / threads <= MC || bRow % 128 != 0);
        fixed (float* bp = packedB.Span)
        {
            if (direct)
            {
                if (n % width != 0)
                    for (int p0 = 0; p0 < k; p0 += KC) PackB(width, b, bRow, bCol, p0, Math.Min(KC, k - p0), n, bp + (long)p0 * panels * width, panels - 1, panels);
            }
            else
            {
                // Packing shares out op(B)'s panels (at most the pool's limit of parts), computing C's row slabs.
                var pack = PackJob.Current;
                int packParts = parts == 1 ? 1 : Math.Min(panels, WorkerPool.MaxParts);
                pack.Set(width, b, bRow, bCol, bp, k, n, packParts);
                WorkerPool.Run(pack, packParts);
            }
            var job = Job.Current;
            job.Set(path, a, aRow, aCol, b, bRow, bp, direct, c, m, k, n, parts, accumulate);
            WorkerPool.Run(job, parts);
        }
    }

    // Rows [i0, i1) of C against one packed KC block of op(B).
    private static void RowRange(SimdPath path, float* a, int aRow, int aCol, float* b, int bRow, bool direct, float* packedB, float* c, int i0, int i1, int p0, int kc, int n, bool overwrite)
    {
        int width = PanelWidth(path);
        if (t_packedA.Length < MC * KC) t_packedA = AlignedMemory.Allocate(MC * KC);
        Memory<float> packedA = t_packedA;
        Span<float> edge = stackalloc float[MR * 32];   // the widest tile
        fixed (float* ap = packedA.Span)
        fixed (float* tile = edge)
        {
            for (int ic = i0; ic < i1; ic += MC)
            {
                int mc = Math.Min(MC, i1 - ic);
                PackA(a, aRow, aCol, ic, mc, p0, kc, ap);
                for (int jr = 0; jr < n; jr += width)
                {
                    int nr = Math.Min(width, n - jr);
                    bool inPlace = direct && nr == width;
                    float* bPanel = inPlace ? b + (long)p0 * bRow + jr : packedB + (jr / width) * kc * width;
                    int ldb = inPlace ? bRow : width;
                    for (int ir = 0; ir < mc; ir += MR)
                    {
                        int mr = Math.Min(MR, mc - ir);
                        float* aPanel = ap + (ir / MR) * kc * MR;
                        float* cTile = c + (long)(ic + ir) * n + jr;
                        if (mr == MR && nr == width) Kernel(path, aPanel, bPanel, ldb, kc, cTile, n, overwrite);
                        else
                        {
                            // A partial tile: compute into a full scratch tile, then store or add the valid part.
                            Kernel(path, aPanel, bPanel, ldb, kc, tile, width, overwrite: true);
                            for (int r = 0; r < mr; r++)
                                for (int j = 0; j < nr; j++)
                                    cTile[(long)r * n + j] = overwrite ? tile[r * width + j] : cTile[(long)r * n + j] + tile[r * width + j];
                        }
                    }
                }
            }
        }
    }

    // op(A) rows [i0, i0 + mc) × columns [p0, p0 + kc) -> panels of MR rows, each stored column by column: dest[panel][p][r].
    private static void PackA(float* a, int aRow, int aCol, int i0, int mc, int p0, int kc, float* dest)
    {
        if (aRow == 1)
        {
            // Aᵀ stored [k, m] (a weight gradient's (∂L/∂z)ᵀ): the MR elements of a panel's column p are contiguous in the
            // source, so walk p in the outer loop and read them side by side instead of striding a whole row of Aᵀ per element.
            for (int ir = 0; ir < mc; ir += MR)
            {
                int mr = Math.Min(MR, mc - ir);
                float* panel = dest + (ir / MR) * kc * MR;
                float* column = a + (i0 + ir) + (long)p0 * aCol;
                for (int p = 0; p < kc; p++, column += aCol)
                {
                    float* to = panel + p * MR;
                    int r = 0;
                    for (; r < mr; r++) to[r] = column[r];
                    for (; r < MR; r++) to[r] = 0;
                }
            }
            return;
        }
        for (int ir = 0; ir < mc; ir += MR)
        {
            int mr = Math.Min(MR, mc - ir);
            float* panel = dest + (ir / MR) * kc * MR;
            for (int r = 0; r < MR; r++)
            {
                if (r >= mr)
                {
                    for (int p = 0; p < kc; p++) panel[p * MR + r] = 0;
                    continue;
                }
                float* row = a + (long)(i0 + ir + r) * aRow + (long)p0 * aCol;
                if (aCol == 1) for (int p = 0; p < kc; p++) panel[p * MR + r] = row[p];
                else for (int p = 0; p < kc; p++) panel[p * MR + r] = row[(long)p * aCol];
            }
        }
    }

    // op(B) rows [p0, p0 + kc) × the columns of panels [first, last) -> panels of NR columns, each stored row by row: dest[panel][p][j].
    private static void PackB(int nr0, float* b, int bRow, int bCol, int p0, int kc, int n, float* dest, int first, int last)
    {
        for (int jr = first * nr0; jr < Math.Min(n, last * nr0); jr += nr0)
        {
            int nr = Math.Min(nr0, n - jr);
            float* panel = dest + (jr / nr0) * kc * nr0;
            if (bCol == 1)
            {
                for (int p = 0; p < kc; p++)
                {
                    float* src = b + (long)(p0 + p) * bRow + jr;
                    float* dst = panel + p * nr0;
                    if (nr == nr0) Buffer.MemoryCopy(src, dst, nr0 * 4, nr0 * 4);
                    else
                    {
                        for (int j = 0; j < nr; j++) dst[j] = src[j];
                        for (int j = nr; j < nr0; j++) dst[j] = 0;
                    }
                }
            }
            else
            {
                // Bᵀ stored [n, k]: write the panel contiguously, reading NR source rows side by side (NR sequential streams).
                float* src = b + (long)p0 * bRow + (long)jr * bCol;
                for (int p = 0; p < kc; p++)
                {
                    float* dst = panel + p * nr0;
                    float* column = src + (long)p * bRow;
                    int j = 0;
                    for (; j < nr; j++) dst[j] = column[(long)j * bCol];
                    for (; j < nr0; j++) dst[j] = 0;
                }
            }
        }
    }

    // c[MR, NR] (row stride ldc) += aPanel[kc, MR]ᵀ · bPanel[kc, NR]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel(SimdPath path, float* a, float* b, int ldb, int kc, float* c, int ldc, bool overwrite)
    {
        switch (path)
        {
            case SimdPath.Vector512: Kernel<Width512, Vector512<float>>(a, b, ldb, kc, c, ldc, overwrite); return;
            case SimdPath.Vector256: Kernel<Width256, Vector256<float>>(a, b, ldb, kc, c, ldc, overwrite); return;
            case SimdPath.Vector128: Kernel<Width128, Vector128<float>>(a, b, ldb, kc, c, ldc, overwrite); return;
        }
        // The scalar path: an 8-column tile, summed like the reference.
        for (int r = 0; r < MR; r++)
            for (int j = 0; j < 8; j++)
            {
                float sum = 0;
                for (int p = 0; p < kc; p++) sum += a[p * MR + r] * b[p * ldb + j];
                c[r * ldc + j] = overwrite ? sum : c[r * ldc + j] + sum;
            }
    }

    // The vector micro-kernel, one for every width: a 6 × (2 vectors) tile of C in 12 accumulators, taken along k a Step at a time.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel<W, TVector>(float* a, float* b, int ldb, int kc, float* c, int ldc, bool overwrite)
        where W : IVectorWidth<TVector> where TVector : unmanaged
    {
        if (!overwrite && Sse.IsSupported)
        {
            // The tile of C is added to at the end; ask for its lines now, so that they arrive while the tile is computed.
            for (int r = 0; r < MR; r++)
            {
                Sse.Prefetch0(c + (long)r * ldc);
                Sse.Prefetch0(c + (long)r * ldc + 2 * W.Count - 1);
            }
        }
        TVector c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        TVector c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        int p = 0;
        // Two steps of k per iteration: half the loop's bookkeeping, which on AVX2 competes with the FMAs for dispatch.
        for (; p + 2 <= kc; p += 2, a += 2 * MR, b += 2L * ldb)
        {
            Step<W, TVector>(a, b, ref c00, ref c01, ref c10, ref c11, ref c20, ref c21, ref c30, ref c31, ref c40, ref c41, ref c50, ref c51);
            Step<W, TVector>(a + MR, b + ldb, ref c00, ref c01, ref c10, ref c11, ref c20, ref c21, ref c30, ref c31, ref c40, ref c41, ref c50, ref c51);
        }
        if (p < kc) Step<W, TVector>(a, b, ref c00, ref c01, ref c10, ref c11, ref c20, ref c21, ref c30, ref c31, ref c40, ref c41, ref c50, ref c51);
        Put<W, TVector>(c, c00, c01, overwrite); Put<W, TVector>(c + ldc, c10, c11, overwrite); Put<W, TVector>(c + 2 * ldc, c20, c21, overwrite);
        Put<W, TVector>(c + 3 * ldc, c30, c31, overwrite); Put<W, TVector>(c + 4 * ldc, c40, c41, overwrite); Put<W, TVector>(c + 5 * ldc, c50, c51, overwrite);
    }

    // One step of k: one row of the B panel (two loads) against six broadcast elements of the A panel, into the 12 accumulators.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Step<W, TVector>(float* a, float* b, ref TVector c00, ref TVector c01, ref TVector c10, ref TVector c11, ref TVector c20, ref TVector c21,
        ref TVector c30, ref TVector c31, ref TVector c40, ref TVector c41, ref TVector c50, ref TVector c51)
        where W : IVectorWidth<TVector> where TVector : unmanaged
    {
        TVector b0 = W.Load(b), b1 = W.Load(b + W.Count);
        TVector x = W.Broadcast(a[0]);
        c00 = W.MultiplyAdd(x, b0, c00); c01 = W.MultiplyAdd(x, b1, c01);
        x = W.Broadcast(a[1]);
        c10 = W.MultiplyAdd(x, b0, c10); c11 = W.MultiplyAdd(x, b1, c11);
        x = W.Broadcast(a[2]);
        c20 = W.MultiplyAdd(x, b0, c20); c21 = W.MultiplyAdd(x, b1, c21);
        x = W.Broadcast(a[3]);
        c30 = W.MultiplyAdd(x, b0, c30); c31 = W.MultiplyAdd(x, b1, c31);
        x = W.Broadcast(a[4]);
        c40 = W.MultiplyAdd(x, b0, c40); c41 = W.MultiplyAdd(x, b1, c41);
        x = W.Broadcast(a[5]);
        c50 = W.MultiplyAdd(x, b0, c50); c51 = W.MultiplyAdd(x, b1, c51);
    }

    // One row of a tile into C: stored, or added to what C holds.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Put<W, TVector>(float* c, TVector lo, TVector hi, bool overwrite) where W : IVectorWidth<TVector> where TVector : unmanaged
    {
        if (!overwrite)
        {
            lo = W.Add(lo, W.Load(c));
            hi = W.Add(hi, W.Load(c + W.Count));
        }
        W.Store(lo, c);
        W.Store(hi, c + W.Count);
    }

    /// <summary>One multiply's computing parts, reused so nothing is allocated per call: part t of n computes the t-th n-th of C's MR-row slabs.</summary>
    private sealed class Job : IWorkItem
    {
        [ThreadStatic] private static Job? t_current;
        public static Job Current => t_current ??= new Job();

        private SimdPath _path;
        private float* _a, _b, _packedB, _c;
        private int _aRow, _aCol, _bRow, _m, _k, _n, _parts;
        private bool _direct, _accumulate;

        public void Set(SimdPath path, float* a, int aRow, int aCol, float* b, int bRow, float* packedB, bool direct, float* c, int m, int k, int n, int parts, bool accumulate)
        {
            _path = path;
            _a = a; _aRow = aRow; _aCol = aCol; _b = b; _bRow = bRow; _packedB = packedB; _direct = direct;
            _c = c; _m = m; _k = k; _n = n; _parts = parts; _accumulate = accumulate;
        }

        public void Execute(int first, int last)
        {
            int width = PanelWidth(_path), panels = (_n + width - 1) / width;
            (int start, int end) = WorkerPool.Share((_m + MR - 1) / MR, first, last, _parts);
            int i0 = start * MR, i1 = Math.Min(_m, end * MR);
            if (i0 >= i1) return;
            // Without accumulate, the first k block's tiles are stored rather than added: no separate pass to clear C.
            for (int p0 = 0; p0 < _k; p0 += KC)
                RowRange(_path, _a, _aRow, _aCol, _b, _bRow, _direct, _packedB + (long)p0 * panels * width, _c, i0, i1, p0, Math.Min(KC, _k - p0), _n, overwrite: !_accumulate && p0 == 0);
        }
    }

    /// <summary>One multiply's packing parts, reused like <see cref="Job"/>: part t of n packs the t-th n-th of op(B)'s panels, every k block.</summary>
    private sealed class PackJob : IWorkItem
    {
        [ThreadStatic] private static PackJob? t_current;
        public static PackJob Current => t_current ??= new PackJob();

        private float* _b, _packedB;
        private int _width, _bRow, _bCol, _k, _n, _parts;

        public void Set(int width, float* b, int bRow, int bCol, float* packedB, int k, int n, int parts)
        {
            _width = width; _b = b; _bRow = bRow; _bCol = bCol; _packedB = packedB; _k = k; _n = n; _parts = parts;
        }

        public void Execute(int first, int last)
        {
            int panels = (_n + _width - 1) / _width;
            (int from, int to) = WorkerPool.Share(panels, first, last, _parts);
            for (int p0 = 0; p0 < _k; p0 += KC)
                PackB(_width, _b, _bRow, _bCol, p0, Math.Min(KC, _k - p0), _n, _packedB + (long)p0 * panels * _width, from, to);
        }
    }
}
