using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Xent.Numerics;

/// <summary>
/// The small-matrix path of <see cref="MatMul"/> (Iris-sized layers), where call overhead, not arithmetic, is the cost:
/// each row of C is built as Σ_p A(i, p)·B(p, :) with hand-written vector multiply-adds and no per-row library calls.
/// When C is narrow (n &lt; 16) but tall, it computes Cᵀ = op(B)ᵀ·op(A)ᵀ instead, so the vectors run along the long side.
/// </summary>
internal static unsafe class SmallGemm
{
    [ThreadStatic] private static float[]? t_scratchB;
    [ThreadStatic] private static float[]? t_scratchC;

    // C[i, j] (+)= Σ_p A(i, p)·B(p, j), A(i, p) = a[i·aRow + p·aCol], B(p, j) = b[p·bRow + j·bCol], C row-major [m, n].
    public static void Multiply(float* a, int aRow, int aCol, float* b, int bRow, int bCol, float* c, int m, int k, int n, bool accumulate)
    {
        if (n < 16 && aCol == 1 && bRow == 1)
        {
            // Narrow C from A·Bᵀ (an output layer's forward): each element is a dot product of two contiguous rows.
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    float dot = Dot(a + (long)i * aRow, b + (long)j * bCol, k);
                    c[i * n + j] = accumulate ? c[i * n + j] + dot : dot;
                }
            return;
        }
        if (n < 16 && m > n)
        {
            // Cᵀ[n, m] = op(B)ᵀ·op(A)ᵀ: op(B)ᵀ(j, p) = b[j·bCol + p·bRow], op(A)ᵀ(p, i) = a[p·aCol + i·aRow].
            float[] scratch = Scratch(ref t_scratchC, m * n);
            fixed (float* t = scratch)
            {
                Direct(b, bCol, bRow, a, aCol, aRow, t, n, k, m, accumulate: false);
                for (int i = 0; i < m; i++)
                    for (int j = 0; j < n; j++)
                        c[i * n + j] = accumulate ? c[i * n + j] + t[j * m + i] : t[j * m + i];
            }
            return;
        }
        Direct(a, aRow, aCol, b, bRow, bCol, c, m, k, n, accumulate);
    }

    private static float[] Scratch(ref float[]? field, int length) =>
        field is { } f && f.Length >= length ? f : field = new float[Math.Max(length, 256)];

    private static void Direct(float* a, int aRow, int aCol, float* b, int bRow, int bCol, float* c, int m, int k, int n, bool accumulate)
    {
        if (bCol == 1 && bRow == n) { Rows(a, aRow, aCol, b, c, m, k, n, accumulate); return; }
        // Lay op(B) out as a contiguous [k, n] block first (it is small on this path).
        float[] scratch = Scratch(ref t_scratchB, k * n);
        fixed (float* bb = scratch)
        {
            for (int p = 0; p < k; p++)
                for (int j = 0; j < n; j++) bb[p * n + j] = b[(long)p * bRow + (long)j * bCol];
            Rows(a, aRow, aCol, bb, c, m, k, n, accumulate);
        }
    }

    // b is contiguous [k, n]
    private static void Rows(float* a, int aRow, int aCol, float* b, float* c, int m, int k, int n, bool accumulate)
    {
        if (Vector512.IsHardwareAccelerated && n % 16 == 0)
        {
            // Each 16-wide slice of a C row stays in a register for the whole sum over p: one load and one store per slice.
            for (int i = 0; i < m; i++)
            {
                float* cRow = c + (long)i * n;
                float* aRowPtr = a + (long)i * aRow;
                for (int j = 0; j < n; j += 16)
                {
                    Vector512<float> acc = accumulate ? Vector512.Load(cRow + j) : Vector512<float>.Zero;
                    float* bp = b + j;
                    for (int p = 0; p < k; p++, bp += n)
                        acc = Vector512.FusedMultiplyAdd(Vector512.Create(aRowPtr[(long)p * aCol]), Vector512.Load(bp), acc);
                    acc.Store(cRow + j);
                }
            }
            return;
        }
        for (int i = 0; i < m; i++)
        {
            float* cRow = c + (long)i * n;
            if (!accumulate) new Span<float>(cRow, n).Clear();
            float* aRowPtr = a + (long)i * aRow;
            for (int p = 0; p < k; p++) Axpy(aRowPtr[(long)p * aCol], b + (long)p * n, cRow, n);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Dot(float* x, float* y, int k)
    {
        int p = 0;
        float sum = 0;
        if (Vector512.IsHardwareAccelerated && k >= 16)
        {
            var acc = Vector512<float>.Zero;
            for (; p <= k - 16; p += 16) acc = Vector512.FusedMultiplyAdd(Vector512.Load(x + p), Vector512.Load(y + p), acc);
            sum = Vector512.Sum(acc);
        }
        else if (Vector256.IsHardwareAccelerated && k >= 8)
        {
            var acc = Vector256<float>.Zero;
            for (; p <= k - 8; p += 8) acc = Vector256.FusedMultiplyAdd(Vector256.Load(x + p), Vector256.Load(y + p), acc);
            sum = Vector256.Sum(acc);
        }
        for (; p < k; p++) sum = MathF.FusedMultiplyAdd(x[p], y[p], sum);
        return sum;
    }

    // y[0..n) += alpha·x[0..n)
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Axpy(float alpha, float* x, float* y, int n)
    {
        int j = 0;
        if (Vector512.IsHardwareAccelerated && n >= 16)
        {
            var va = Vector512.Create(alpha);
            for (; j <= n - 16; j += 16) Vector512.FusedMultiplyAdd(va, Vector512.Load(x + j), Vector512.Load(y + j)).Store(y + j);
        }
        else if (Vector256.IsHardwareAccelerated && n >= 8)
        {
            var va = Vector256.Create(alpha);
            for (; j <= n - 8; j += 8) Vector256.FusedMultiplyAdd(va, Vector256.Load(x + j), Vector256.Load(y + j)).Store(y + j);
        }
        for (; j < n; j++) y[j] = MathF.FusedMultiplyAdd(alpha, x[j], y[j]);
    }
}
