using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Xent.Numerics;

/// <summary>
/// One vector width for kernels written once for several widths: the packed GEMM's micro-kernel runs at
/// <see cref="Width512"/>, <see cref="Width256"/> and <see cref="Width128"/>. .NET's own width-generic vector interface
/// (<c>ISimdVector</c>) is internal, so this is the small part of it the kernel uses; every member is one intrinsic,
/// inlined by the JIT, so the kernel at <see cref="Width512"/> compiles to the instructions of one written with Vector512.
/// </summary>
internal unsafe interface IVectorWidth<TVector> where TVector : unmanaged
{
    /// <summary>Floats per vector.</summary>
    static abstract int Count { get; }
    static abstract TVector Broadcast(float value);
    static abstract TVector Load(float* source);
    static abstract void Store(TVector value, float* destination);
    static abstract TVector Add(TVector a, TVector b);
    /// <summary>a·b + addend, rounded once where the CPU has FMA (the Vector512 and Vector256 paths require it); at
    /// <see cref="Width128"/> without FMA (pre-AVX2 x86), multiplied then added.</summary>
    static abstract TVector MultiplyAdd(TVector a, TVector b, TVector addend);
}

internal readonly unsafe struct Width512 : IVectorWidth<Vector512<float>>
{
    public static int Count => 16;
    public static Vector512<float> Broadcast(float value) => Vector512.Create(value);
    public static Vector512<float> Load(float* source) => Vector512.Load(source);
    public static void Store(Vector512<float> value, float* destination) => value.Store(destination);
    public static Vector512<float> Add(Vector512<float> a, Vector512<float> b) => a + b;
    public static Vector512<float> MultiplyAdd(Vector512<float> a, Vector512<float> b, Vector512<float> addend) => Vector512.FusedMultiplyAdd(a, b, addend);
}

internal readonly unsafe struct Width256 : IVectorWidth<Vector256<float>>
{
    public static int Count => 8;
    public static Vector256<float> Broadcast(float value) => Vector256.Create(value);
    public static Vector256<float> Load(float* source) => Vector256.Load(source);
    public static void Store(Vector256<float> value, float* destination) => value.Store(destination);
    public static Vector256<float> Add(Vector256<float> a, Vector256<float> b) => a + b;
    public static Vector256<float> MultiplyAdd(Vector256<float> a, Vector256<float> b, Vector256<float> addend) => Vector256.FusedMultiplyAdd(a, b, addend);
}

internal readonly unsafe struct Width128 : IVectorWidth<Vector128<float>>
{
    public static int Count => 4;
    public static Vector128<float> Broadcast(float value) => Vector128.Create(value);
    public static Vector128<float> Load(float* source) => Vector128.Load(source);
    public static void Store(Vector128<float> value, float* destination) => value.Store(destination);
    public static Vector128<float> Add(Vector128<float> a, Vector128<float> b) => a + b;
    public static Vector128<float> MultiplyAdd(Vector128<float> a, Vector128<float> b, Vector128<float> addend) => Vector128.MultiplyAddEstimate(a, b, addend);
}

/// <summary>
/// One register of floats at one width, with operators, masks, comparisons and reductions, for <see cref="FusedSmallStep"/>
/// (written once for both widths): <see cref="Lanes16"/> wraps a Vector512, <see cref="Lanes8"/> a Vector256. Every member
/// is one intrinsic on the wrapped vector, inlined by the JIT. A mask is a vector with all bits set in the chosen lanes;
/// <typeparamref name="TInts"/> is the integer vector of the same width (labels).
/// </summary>
internal unsafe interface IMaskedLanes<TSelf, TInts> where TSelf : unmanaged, IMaskedLanes<TSelf, TInts> where TInts : unmanaged
{
    /// <summary>Floats (rows) per register.</summary>
    static abstract int Count { get; }
    static abstract TSelf operator +(TSelf a, TSelf b);
    static abstract TSelf operator -(TSelf a, TSelf b);
    static abstract TSelf operator *(TSelf a, TSelf b);
    static abstract TSelf operator /(TSelf a, TSelf b);
    static abstract TSelf operator -(TSelf a);
    static abstract TSelf operator &(TSelf a, TSelf b);
    static abstract TSelf operator |(TSelf a, TSelf b);
    static abstract TSelf operator ~(TSelf a);
    static abstract TSelf Broadcast(float value);
    static abstract TInts Broadcast(int value);
    /// <summary>a·b + addend, rounded once (both widths run only where the CPU has FMA).</summary>
    static abstract TSelf MultiplyAdd(TSelf a, TSelf b, TSelf addend);
    static abstract TSelf LoadAligned(float* source);
    static abstract TInts Load(int* source);
    /// <summary>
    /// The larger of <paramref name="a"/> and <paramref name="b"/>, and <paramref name="a"/> where either is NaN: one
    /// vmaxps with the operands swapped, so a NaN in the first argument (the data) propagates while the second is a
    /// constant. (Vector512.Max's IEEE semantics cost two fix-up instructions more per call once wrapped here, where the
    /// JIT no longer sees the constant.)
    /// </summary>
    static abstract TSelf Max(TSelf a, TSelf b);
    static abstract TSelf Round(TSelf x);
    /// <summary>x·2^n for whole-number n in the float exponent's range, by putting n + 127 into the exponent bits.</summary>
    static abstract TSelf ScaleByPowerOfTwo(TSelf x, TSelf n);
    static abstract TSelf Log(TSelf x);
    /// <summary>A mask of the lanes where a &gt; b (none where either is NaN).</summary>
    static abstract TSelf GreaterThan(TSelf a, TSelf b);
    static abstract TSelf Equal(TSelf a, TSelf b);
    static abstract TSelf Equal(TInts a, TInts b);
    static abstract TSelf Select(TSelf mask, TSelf whereSet, TSelf whereClear);
    static abstract TInts Select(TSelf mask, TInts whereSet, TInts whereClear);
    /// <summary>A mask of the first <paramref name="count"/> lanes.</summary>
    static abstract TSelf FirstLanes(int count);
    /// <summary>Whether any bit of x is set.</summary>
    static abstract bool Any(TSelf x);
    /// <summary>How many lanes of a mask are set.</summary>
    static abstract int CountSet(TSelf mask);
    /// <summary>The sum of the lanes, added in double.</summary>
    static abstract double Sum(TSelf x);
    /// <summary>sums[i] = the sum of the lanes of v[i], for i &lt; count.</summary>
    static abstract void LaneSums(TSelf* v, int count, float* sums);
}

/// <summary>16 rows per register: a Vector512 of floats (AVX-512F).</summary>
internal readonly unsafe struct Lanes16(Vector512<float> v) : IMaskedLanes<Lanes16, Vector512<int>>
{
    public readonly Vector512<float> V = v;
    public static Lanes16 operator +(Lanes16 a, Lanes16 b) => new(a.V + b.V);
    public static Lanes16 operator -(Lanes16 a, Lanes16 b) => new(a.V - b.V);
    public static Lanes16 operator *(Lanes16 a, Lanes16 b) => new(a.V * b.V);
    public static Lanes16 operator /(Lanes16 a, Lanes16 b) => new(a.V / b.V);
    public static Lanes16 operator &(Lanes16 a, Lanes16 b) => new(a.V & b.V);
    public static Lanes16 operator |(Lanes16 a, Lanes16 b) => new(a.V | b.V);
    public static Lanes16 operator -(Lanes16 a) => new(-a.V);
    public static Lanes16 operator ~(Lanes16 a) => new(~a.V);
    public static int Count => 16;
    public static Lanes16 Broadcast(float value) => new(Vector512.Create(value));
    public static Vector512<int> Broadcast(int value) => Vector512.Create(value);
    public static Lanes16 LoadAligned(float* source) => new(Vector512.LoadAligned(source));
    public static Vector512<int> Load(int* source) => Vector512.Load(source);
    public static Lanes16 MultiplyAdd(Lanes16 a, Lanes16 b, Lanes16 addend) => new(Vector512.FusedMultiplyAdd(a.V, b.V, addend.V));
    public static void MultiplyAdd(ref Lanes16 accumulator, Lanes16 a, Lanes16 b) => accumulator = new(Vector512.FusedMultiplyAdd(a.V, b.V, accumulator.V));
    public static Lanes16 Max(Lanes16 a, Lanes16 b) => new(Avx512F.Max(b.V, a.V));
    public static Lanes16 Round(Lanes16 x) => new(Vector512.Round(x.V));
    public static Lanes16 ScaleByPowerOfTwo(Lanes16 x, Lanes16 n) => new(x.V * ((Vector512.ConvertToInt32(n.V) + Vector512.Create(127)) << 23).AsSingle());
    public static Lanes16 Log(Lanes16 x) => new(Vector512.Log(x.V));
    public static Lanes16 GreaterThan(Lanes16 a, Lanes16 b) => new(Vector512.GreaterThan(a.V, b.V));
    public static Lanes16 Equal(Lanes16 a, Lanes16 b) => new(Vector512.Equals(a.V, b.V));
    public static Lanes16 Equal(Vector512<int> a, Vector512<int> b) => new(Vector512.Equals(a, b).AsSingle());
    public static Lanes16 Select(Lanes16 mask, Lanes16 whereSet, Lanes16 whereClear) => new(Vector512.ConditionalSelect(mask.V, whereSet.V, whereClear.V));
    public static Vector512<int> Select(Lanes16 mask, Vector512<int> whereSet, Vector512<int> whereClear) => Vector512.ConditionalSelect(mask.V.AsInt32(), whereSet, whereClear);
    public static Lanes16 FirstLanes(int count) => new(Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(count)).AsSingle());
    public static bool Any(Lanes16 x) => x.V != Vector512<float>.Zero;
    public static int CountSet(Lanes16 mask) => BitOperations.PopCount(Vector512.ExtractMostSignificantBits(mask.V));
    public static double Sum(Lanes16 x) => Vector512.Sum(Vector512.WidenLower(x.V) + Vector512.WidenUpper(x.V));

    // Sixteen vectors at a time by a tree of two-source permutes: each level halves the partial lanes per source and
    // doubles the sources per vector, so 16 sums cost 15 × (2 permutes + 1 add).
    public static void LaneSums(Lanes16* lanes, int count, float* sums)
    {
        var v = (Vector512<float>*)lanes;
        int i = 0;
        for (; i + 16 <= count; i += 16)
        {
            Vector512<float>* g = v + i;
            // 8 vectors of [source 2k: 8 partial lanes | source 2k+1: 8]
            Vector512<float> a0 = Fold(g[0], g[1], s_fold8, s_fold8Next), a1 = Fold(g[2], g[3], s_fold8, s_fold8Next);
            Vector512<float> a2 = Fold(g[4], g[5], s_fold8, s_fold8Next), a3 = Fold(g[6], g[7], s_fold8, s_fold8Next);
            Vector512<float> a4 = Fold(g[8], g[9], s_fold8, s_fold8Next), a5 = Fold(g[10], g[11], s_fold8, s_fold8Next);
            Vector512<float> a6 = Fold(g[12], g[13], s_fold8, s_fold8Next), a7 = Fold(g[14], g[15], s_fold8, s_fold8Next);
            // 4 vectors of 4 sources × 4 partial lanes, then 2 of 8 × 2, then 1 of 16 × 1
            Vector512<float> b0 = Fold(a0, a1, s_fold4, s_fold4Next), b1 = Fold(a2, a3, s_fold4, s_fold4Next);
            Vector512<float> b2 = Fold(a4, a5, s_fold4, s_fold4Next), b3 = Fold(a6, a7, s_fold4, s_fold4Next);
            Vector512<float> c0 = Fold(b0, b1, s_fold2, s_fold2Next), c1 = Fold(b2, b3, s_fold2, s_fold2Next);
            Fold(c0, c1, s_fold1, s_fold1Next).Store(sums + i);
        }
        for (; i < count; i++) sums[i] = Vector512.Sum(v[i]);
    }

    // One level of the tree: a and b each hold 16 / width sources of `width` partial lanes; output lane i adds lanes
    // first[i] and next[i] (= first[i] + width) of the 32-lane concatenation a‖b, i.e. the two halves of one source.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Fold(Vector512<float> a, Vector512<float> b, Vector512<int> first, Vector512<int> next) =>
        Avx512F.PermuteVar16x32x2(a, first, b) + Avx512F.PermuteVar16x32x2(a, next, b);

    private static Vector512<int> FoldIndex(int width, int offset)
    {
        Span<int> index = stackalloc int[16];
        for (int i = 0; i < 16; i++) index[i] = i / width * 2 * width + i % width + offset;
        return Vector512.Create((ReadOnlySpan<int>)index);
    }

    private static readonly Vector512<int> s_fold8 = FoldIndex(8, 0), s_fold8Next = FoldIndex(8, 8);
    private static readonly Vector512<int> s_fold4 = FoldIndex(4, 0), s_fold4Next = FoldIndex(4, 4);
    private static readonly Vector512<int> s_fold2 = FoldIndex(2, 0), s_fold2Next = FoldIndex(2, 2);
    private static readonly Vector512<int> s_fold1 = FoldIndex(1, 0), s_fold1Next = FoldIndex(1, 1);
}

/// <summary>8 rows per register: a Vector256 of floats (AVX2 with FMA).</summary>
internal readonly unsafe struct Lanes8(Vector256<float> v) : IMaskedLanes<Lanes8, Vector256<int>>
{
    public readonly Vector256<float> V = v;
    public static Lanes8 operator +(Lanes8 a, Lanes8 b) => new(a.V + b.V);
    public static Lanes8 operator -(Lanes8 a, Lanes8 b) => new(a.V - b.V);
    public static Lanes8 operator *(Lanes8 a, Lanes8 b) => new(a.V * b.V);
    public static Lanes8 operator /(Lanes8 a, Lanes8 b) => new(a.V / b.V);
    public static Lanes8 operator &(Lanes8 a, Lanes8 b) => new(a.V & b.V);
    public static Lanes8 operator |(Lanes8 a, Lanes8 b) => new(a.V | b.V);
    public static Lanes8 operator -(Lanes8 a) => new(-a.V);
    public static Lanes8 operator ~(Lanes8 a) => new(~a.V);
    public static int Count => 8;
    public static Lanes8 Broadcast(float value) => new(Vector256.Create(value));
    public static Vector256<int> Broadcast(int value) => Vector256.Create(value);
    public static Lanes8 LoadAligned(float* source) => new(Vector256.LoadAligned(source));
    public static Vector256<int> Load(int* source) => Vector256.Load(source);
    public static Lanes8 MultiplyAdd(Lanes8 a, Lanes8 b, Lanes8 addend) => new(Vector256.FusedMultiplyAdd(a.V, b.V, addend.V));
    public static void MultiplyAdd(ref Lanes8 accumulator, Lanes8 a, Lanes8 b) => accumulator = new(Vector256.FusedMultiplyAdd(a.V, b.V, accumulator.V));
    public static Lanes8 Max(Lanes8 a, Lanes8 b) => new(Avx.Max(b.V, a.V));
    public static Lanes8 Round(Lanes8 x) => new(Vector256.Round(x.V));
    public static Lanes8 ScaleByPowerOfTwo(Lanes8 x, Lanes8 n) => new(x.V * ((Vector256.ConvertToInt32(n.V) + Vector256.Create(127)) << 23).AsSingle());
    public static Lanes8 Log(Lanes8 x) => new(Vector256.Log(x.V));
    public static Lanes8 GreaterThan(Lanes8 a, Lanes8 b) => new(Vector256.GreaterThan(a.V, b.V));
    public static Lanes8 Equal(Lanes8 a, Lanes8 b) => new(Vector256.Equals(a.V, b.V));
    public static Lanes8 Equal(Vector256<int> a, Vector256<int> b) => new(Vector256.Equals(a, b).AsSingle());
    public static Lanes8 Select(Lanes8 mask, Lanes8 whereSet, Lanes8 whereClear) => new(Vector256.ConditionalSelect(mask.V, whereSet.V, whereClear.V));
    public static Vector256<int> Select(Lanes8 mask, Vector256<int> whereSet, Vector256<int> whereClear) => Vector256.ConditionalSelect(mask.V.AsInt32(), whereSet, whereClear);
    public static Lanes8 FirstLanes(int count) => new(Vector256.LessThan(Vector256<int>.Indices, Vector256.Create(count)).AsSingle());
    public static bool Any(Lanes8 x) => x.V != Vector256<float>.Zero;
    public static int CountSet(Lanes8 mask) => BitOperations.PopCount(Vector256.ExtractMostSignificantBits(mask.V));
    public static double Sum(Lanes8 x) => Vector256.Sum(Vector256.WidenLower(x.V) + Vector256.WidenUpper(x.V));

    // Eight vectors at a time: two levels of horizontal adds leave [v0..v3 low-half sums | v0..v3 high-half sums] and the
    // same for v4..v7; exchanging 128-bit halves and one add finishes the 8 sums (7 instructions for 8 sums).
    public static void LaneSums(Lanes8* lanes, int count, float* sums)
    {
        var v = (Vector256<float>*)lanes;
        int i = 0;
        for (; i + 8 <= count; i += 8)
        {
            Vector256<float>* g = v + i;
            Vector256<float> t0 = Avx.HorizontalAdd(g[0], g[1]), t1 = Avx.HorizontalAdd(g[2], g[3]);
            Vector256<float> t2 = Avx.HorizontalAdd(g[4], g[5]), t3 = Avx.HorizontalAdd(g[6], g[7]);
            Vector256<float> u0 = Avx.HorizontalAdd(t0, t1), u1 = Avx.HorizontalAdd(t2, t3);
            (Avx.Permute2x128(u0, u1, 0x20) + Avx.Permute2x128(u0, u1, 0x31)).Store(sums + i);
        }
        for (; i < count; i++) sums[i] = Vector256.Sum(v[i]);
    }
}

