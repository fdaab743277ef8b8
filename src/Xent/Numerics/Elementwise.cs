using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Xent.Numerics;

/// <summary>
/// An element-wise operation over up to four streams of equal length (element i of each stream from element i only),
/// written once per width: scalar, <see cref="Vector128{T}"/>, <see cref="Vector256{T}"/> and <see cref="Vector512{T}"/>.
/// <see cref="Elementwise.Run{TOperator}"/> owns the loop: which width runs, the tail, the loads and the stores.
/// <para>
/// As in TensorPrimitives (<c>IBinaryOperator</c>, <c>ITernaryOperator</c>), each operation is a struct, so the JIT
/// compiles one copy of the loop per operation with <c>Invoke</c> inlined. Unlike TensorPrimitives' operators, ours carry
/// their scalars (a learning rate, a slope) as fields: an optimizer step has up to nine of them.
/// </para>
/// </summary>
internal interface IElementwiseOperator
{
    /// <summary>The streams the operation reads, bit s for stream s; a constant, so the JIT drops the other loads.</summary>
    static abstract int Reads { get; }

    /// <summary>The streams the operation writes, bit s for stream s; a constant, so the JIT drops the other stores.</summary>
    static abstract int Writes { get; }

    void Invoke(ref float s0, ref float s1, ref float s2, ref float s3);
    void Invoke(ref Vector128<float> s0, ref Vector128<float> s1, ref Vector128<float> s2, ref Vector128<float> s3);
    void Invoke(ref Vector256<float> s0, ref Vector256<float> s1, ref Vector256<float> s2, ref Vector256<float> s3);
    void Invoke(ref Vector512<float> s0, ref Vector512<float> s1, ref Vector512<float> s2, ref Vector512<float> s3);
}

/// <summary>
/// The one loop behind every hand-vectorised element-wise pass (the SGD and Adam updates, activation functions and derivatives):
/// the widest vector the runtime prefers (<c>Vector512/256/128.IsHardwareAccelerated</c>, memory-bound work keeps the
/// runtime's preference, see <see cref="KernelPaths"/>), then narrower vectors, then scalars for the last elements.
/// Every element goes through the same arithmetic at every width, so results do not depend on the width or on where a
/// slice starts; the tests compare each operator with its plain scalar definition at every length 0..256.
/// </summary>
internal static class Elementwise
{
    /// <summary>Applies <paramref name="op"/> to elements 0 … <paramref name="length"/> − 1 of the four streams; a stream the operator neither reads nor writes may be empty.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Run<TOperator>(TOperator op, int length, Span<float> s0, Span<float> s1 = default, Span<float> s2 = default, Span<float> s3 = default)
        where TOperator : struct, IElementwiseOperator
    {
        Check<TOperator>(length, s0.Length, 0);
        Check<TOperator>(length, s1.Length, 1);
        Check<TOperator>(length, s2.Length, 2);
        Check<TOperator>(length, s3.Length, 3);
        Loop(op, (nuint)length, ref MemoryMarshal.GetReference(s0), ref MemoryMarshal.GetReference(s1),
            ref MemoryMarshal.GetReference(s2), ref MemoryMarshal.GetReference(s3));
    }

    /// <summary>A read-only stream as <see cref="Run{TOperator}"/> takes it: the operator's <c>Writes</c> must not include it.</summary>
    public static Span<float> ReadOnly(ReadOnlySpan<float> stream) => MemoryMarshal.CreateSpan(ref MemoryMarshal.GetReference(stream), stream.Length);

    // Inlined, so a stream the operator does not use costs nothing; the throw is out of line (a small update, such as a
    // bias of a few floats, would otherwise pay four calls).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Check<TOperator>(int length, int streamLength, int stream) where TOperator : IElementwiseOperator
    {
        if (((TOperator.Reads | TOperator.Writes) >> stream & 1) != 0 && streamLength < length) TooShort(length, streamLength, stream);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void TooShort(int length, int streamLength, int stream) =>
        throw new ArgumentException($"stream {stream} has {streamLength} elements, needs {length}");

    private static bool Reads<TOperator>(int stream) where TOperator : IElementwiseOperator => (TOperator.Reads >> stream & 1) != 0;
    private static bool Writes<TOperator>(int stream) where TOperator : IElementwiseOperator => (TOperator.Writes >> stream & 1) != 0;

    // The widest vectors first, then narrower ones, then scalars. Each width is its own method, so each gets the JIT's
    // whole inlining budget: Invoke is inlined and the four values stay in registers.
    private static void Loop<TOperator>(TOperator op, nuint n, ref float s0, ref float s1, ref float s2, ref float s3) where TOperator : struct, IElementwiseOperator
    {
        nuint i = 0;
        if (Vector512.IsHardwareAccelerated) i = Vectors<TOperator, Width512, Vector512<float>>(op, i, n, ref s0, ref s1, ref s2, ref s3);
        if (Vector256.IsHardwareAccelerated) i = Vectors<TOperator, Width256, Vector256<float>>(op, i, n, ref s0, ref s1, ref s2, ref s3);
        if (Vector128.IsHardwareAccelerated) i = Vectors<TOperator, Width128, Vector128<float>>(op, i, n, ref s0, ref s1, ref s2, ref s3);
        for (; i < n; i++)
        {
            float v0 = Reads<TOperator>(0) ? Unsafe.Add(ref s0, i) : 0, v1 = Reads<TOperator>(1) ? Unsafe.Add(ref s1, i) : 0;
            float v2 = Reads<TOperator>(2) ? Unsafe.Add(ref s2, i) : 0, v3 = Reads<TOperator>(3) ? Unsafe.Add(ref s3, i) : 0;
            op.Invoke(ref v0, ref v1, ref v2, ref v3);
            if (Writes<TOperator>(0)) Unsafe.Add(ref s0, i) = v0;
            if (Writes<TOperator>(1)) Unsafe.Add(ref s1, i) = v1;
            if (Writes<TOperator>(2)) Unsafe.Add(ref s2, i) = v2;
            if (Writes<TOperator>(3)) Unsafe.Add(ref s3, i) = v3;
        }
    }

    // Elements i … up to n in whole vectors of one width; returns the first element not done.
    private static unsafe nuint Vectors<TOperator, W, TVector>(TOperator op, nuint i, nuint n, ref float s0, ref float s1, ref float s2, ref float s3)
        where TOperator : struct, IElementwiseOperator where W : IVectorWidth<TVector> where TVector : unmanaged
    {
        fixed (float* p0 = &s0, p1 = &s1, p2 = &s2, p3 = &s3)
            for (nuint width = (nuint)W.Count; i + width <= n; i += width)
            {
                TVector v0 = Reads<TOperator>(0) ? W.Load(p0 + i) : default, v1 = Reads<TOperator>(1) ? W.Load(p1 + i) : default;
                TVector v2 = Reads<TOperator>(2) ? W.Load(p2 + i) : default, v3 = Reads<TOperator>(3) ? W.Load(p3 + i) : default;
                Invoke(op, ref v0, ref v1, ref v2, ref v3);
                if (Writes<TOperator>(0)) W.Store(v0, p0 + i);
                if (Writes<TOperator>(1)) W.Store(v1, p1 + i);
                if (Writes<TOperator>(2)) W.Store(v2, p2 + i);
                if (Writes<TOperator>(3)) W.Store(v3, p3 + i);
            }
        return i;
    }

    // The operator's overload for TVector; the JIT keeps only the branch that matches.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Invoke<TOperator, TVector>(TOperator op, ref TVector v0, ref TVector v1, ref TVector v2, ref TVector v3)
        where TOperator : struct, IElementwiseOperator
    {
        if (typeof(TVector) == typeof(Vector512<float>))
            op.Invoke(ref As<TVector, Vector512<float>>(ref v0), ref As<TVector, Vector512<float>>(ref v1), ref As<TVector, Vector512<float>>(ref v2), ref As<TVector, Vector512<float>>(ref v3));
        else if (typeof(TVector) == typeof(Vector256<float>))
            op.Invoke(ref As<TVector, Vector256<float>>(ref v0), ref As<TVector, Vector256<float>>(ref v1), ref As<TVector, Vector256<float>>(ref v2), ref As<TVector, Vector256<float>>(ref v3));
        else
            op.Invoke(ref As<TVector, Vector128<float>>(ref v0), ref As<TVector, Vector128<float>>(ref v1), ref As<TVector, Vector128<float>>(ref v2), ref As<TVector, Vector128<float>>(ref v3));
    }

    private static ref TTo As<TFrom, TTo>(ref TFrom value) => ref Unsafe.As<TFrom, TTo>(ref value);
}
