using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Xent.Layers;
using Xent.Losses;

namespace Xent.Training;

/// <summary>
/// The small-network path of a training step, for Iris-sized networks: inputs ≤ 16 → hidden ≤ 32 ReLU units → classes ≤ 16
/// with plain mean cross entropy. At this size a step's cost is overhead (passes over intermediate buffers, horizontal sums,
/// scalar exponentials), not arithmetic, so this path works on 16 rows at a time with one Vector512 holding one quantity
/// (an input feature, a hidden unit, a logit, a gradient) for all 16 rows: every operation is a full-width FMA with a
/// broadcast weight, the softmax's exponential is an inlined vector polynomial, and each gradient is kept as 16 per-row
/// partial sums, added up once per step by a tree of permutes. A forward pass over all blocks comes first (the blocks are
/// independent, so the CPU overlaps one block's long chain of logits, exponentials and division with the next), then the
/// backward pass. The widths of the input and output layers are type parameters (Run&lt;TInputs, TClasses&gt;), so the JIT
/// compiles one copy per shape with those short loops unrolled. It computes what the general path (Dense.Forward,
/// SoftmaxCrossEntropy.ForwardBackward, Dense.Backward) computes, up to float rounding; the tests compare the two.
/// </summary>
internal sealed unsafe class FusedTinyStep
{
    private const int Lanes = 16;
    private const int MaxInputs = 16, MaxHidden = 32, MaxClasses = 16;
    private readonly Dense _first;
    private readonly Dense _second;
    private readonly int _ignoreIndex;
    private readonly int _inputs, _hidden, _classes;
    // One pinned, 64-byte aligned arena. Vector512 slots: the gradient accumulators (W1 [hidden, inputs], b1 [hidden],
    // W2 [hidden, classes] (transposed), b2 [classes]). Then floats: W2 transposed [hidden, classes] and the lane sums.
    private readonly float[] _arena;
    private readonly int _arenaStart;
    private readonly int _accumulators, _w2tFloat, _sumsFloat;
    // The batch in blocks of 16 rows, each block [inputs + hidden + classes] vectors: x, then h, then the logits (which
    // become ∂loss/∂logits). Pinned and aligned; grows with the batch, never shrinks.
    private float[] _blocks = [];
    private int _blocksStart, _blocksCapacity;

    private FusedTinyStep(Dense first, Dense second, int ignoreIndex)
    {
        _first = first;
        _second = second;
        _ignoreIndex = ignoreIndex;
        (_inputs, _hidden, _classes) = (first.Inputs, first.Outputs, second.Outputs);
        _accumulators = _hidden * _inputs + _hidden + _hidden * _classes + _classes;
        _w2tFloat = _accumulators * Lanes;
        _sumsFloat = _w2tFloat + (_hidden * _classes + Lanes - 1) / Lanes * Lanes;
        (_arena, _arenaStart) = AlignedPinned(_sumsFloat + (_accumulators + Lanes - 1) / Lanes * Lanes);
    }

    /// <summary>The fused step for this network and loss, or null when they are not of the shape it handles.</summary>
    public static FusedTinyStep? TryCreate(Network network, IClassificationLoss loss)
    {
        if (!Avx512F.IsSupported || !Vector512.IsHardwareAccelerated || network.Layers.Count != 2) return null;
        Dense first = network.Layers[0], second = network.Layers[1];
        if (first.Activation != Activation.Relu || second.Activation != Activation.Identity) return null;
        if (first.Inputs > MaxInputs || first.Outputs > MaxHidden || second.Outputs > MaxClasses) return null;
        if (loss is not SoftmaxCrossEntropy { Options: { Weights: null, LabelSmoothing: 0, Reduction: Reduction.Mean } } ce) return null;
        return new FusedTinyStep(first, second, ce.Options.IgnoreIndex);
    }

    // A pinned array (it never moves) and the index of its first 64-byte aligned element, with room for `length` floats.
    private static (float[] Array, int Start) AlignedPinned(int length)
    {
        float[] array = GC.AllocateArray<float>(length + Lanes, pinned: true);
        nuint address = (nuint)Unsafe.AsPointer(ref array[0]);
        int start = (int)((64 - address % 64) % 64 / sizeof(float));
        return (array, start);
    }

    // x [batch, inputs], y [batch] -> adds ∂loss/∂θ into every parameter's gradient; returns the mean loss (NaN when a logit is
    // not finite, which stops training), or null when a target is ignored or out of range (the general path handles those).
    public double? Step(ReadOnlySpan<float> x, ReadOnlySpan<int> y, int batch, out int correct)
    {
        correct = 0;
        if (batch <= 0 || x.Length < batch * _inputs || y.Length < batch) return null;
        for (int n = 0; n < batch; n++)
            if (y[n] == _ignoreIndex || (uint)y[n] >= (uint)_classes) return null;
        int blocks = (batch + Lanes - 1) / Lanes;
        long neededLong = (long)blocks * (_inputs + _hidden + _classes) * Lanes;
        if (neededLong > Array.MaxLength - Lanes) return null;   // a batch of tens of millions of rows: the general path
        int needed = (int)neededLong;
        if (needed > _blocksCapacity)
        {
            _blocksCapacity = needed;
            (_blocks, _blocksStart) = AlignedPinned(needed);
        }
        return _inputs switch
        {
            1 => WithInputs<Size1>(x, y, batch, out correct), 2 => WithInputs<Size2>(x, y, batch, out correct),
            3 => WithInputs<Size3>(x, y, batch, out correct), 4 => WithInputs<Size4>(x, y, batch, out correct),
            5 => WithInputs<Size5>(x, y, batch, out correct), 6 => WithInputs<Size6>(x, y, batch, out correct),
            7 => WithInputs<Size7>(x, y, batch, out correct), 8 => WithInputs<Size8>(x, y, batch, out correct),
            9 => WithInputs<Size9>(x, y, batch, out correct), 10 => WithInputs<Size10>(x, y, batch, out correct),
            11 => WithInputs<Size11>(x, y, batch, out correct), 12 => WithInputs<Size12>(x, y, batch, out correct),
            13 => WithInputs<Size13>(x, y, batch, out correct), 14 => WithInputs<Size14>(x, y, batch, out correct),
            15 => WithInputs<Size15>(x, y, batch, out correct), _ => WithInputs<Size16>(x, y, batch, out correct),
        };
    }

    private double WithInputs<TInputs>(ReadOnlySpan<float> x, ReadOnlySpan<int> y, int batch, out int correct) where TInputs : struct, ISize =>
        _classes switch
        {
            1 => Run<TInputs, Size1>(x, y, batch, out correct), 2 => Run<TInputs, Size2>(x, y, batch, out correct),
            3 => Run<TInputs, Size3>(x, y, batch, out correct), 4 => Run<TInputs, Size4>(x, y, batch, out correct),
            5 => Run<TInputs, Size5>(x, y, batch, out correct), 6 => Run<TInputs, Size6>(x, y, batch, out correct),
            7 => Run<TInputs, Size7>(x, y, batch, out correct), 8 => Run<TInputs, Size8>(x, y, batch, out correct),
            9 => Run<TInputs, Size9>(x, y, batch, out correct), 10 => Run<TInputs, Size10>(x, y, batch, out correct),
            11 => Run<TInputs, Size11>(x, y, batch, out correct), 12 => Run<TInputs, Size12>(x, y, batch, out correct),
            13 => Run<TInputs, Size13>(x, y, batch, out correct), 14 => Run<TInputs, Size14>(x, y, batch, out correct),
            15 => Run<TInputs, Size15>(x, y, batch, out correct), _ => Run<TInputs, Size16>(x, y, batch, out correct),
        };

    private double Run<TInputs, TClasses>(ReadOnlySpan<float> x, ReadOnlySpan<int> y, int batch, out int correct)
        where TInputs : struct, ISize where TClasses : struct, ISize
    {
        int hidden = _hidden, blocks = (batch + Lanes - 1) / Lanes, blockStride = (TInputs.Value + hidden + TClasses.Value) * Lanes;
        correct = 0;
        fixed (float* blocksFixed = &_blocks[_blocksStart], arena = &_arena[_arenaStart])
        fixed (float* w1 = _first.Weight.Value, b1 = _first.Bias.Value, w2 = _second.Weight.Value, b2 = _second.Bias.Value)
        fixed (float* xFixed = x)
        fixed (int* labelsFixed = y)
        {
            float* blockData = blocksFixed;
            for (int block = 0; block < blocks; block++)
            {
                float* to = blockData + block * blockStride;
                int valid = Math.Min(Lanes, batch - block * Lanes);
                float* from = xFixed + block * Lanes * TInputs.Value;
                for (int lane = 0; lane < valid; lane++, from += TInputs.Value)
                    for (int f = 0; f < TInputs.Value; f++) to[f * Lanes + lane] = from[f];
                for (int lane = valid; lane < Lanes; lane++)
                    for (int f = 0; f < TInputs.Value; f++) to[f * Lanes + lane] = 0;   // padding rows: finite, masked below
            }
            var slots = (Vector512<float>*)arena;
            Vector512<float>* accW1 = slots, accB1 = accW1 + hidden * TInputs.Value, accW2 = accB1 + hidden, accB2 = accW2 + hidden * TClasses.Value;
            new Span<float>(arena, _accumulators * Lanes).Clear();
            float* w2t = arena + _w2tFloat;
            for (int c = 0; c < TClasses.Value; c++)
                for (int j = 0; j < hidden; j++) w2t[j * TClasses.Value + c] = w2[c * hidden + j];

            int* tailLabels = stackalloc int[Lanes];
            Vector512<float> scale = Vector512.Create(1f / batch);
            Vector512<float> linearLoss = Vector512<float>.Zero, logLoss = Vector512<float>.Zero, product = Vector512<float>.One;
            for (int block = 0; block < blocks; block++)
            {
                int valid = Math.Min(Lanes, batch - block * Lanes);
                int* labelsAt = labelsFixed + block * Lanes;
                if (valid < Lanes)
                {
                    for (int i = 0; i < Lanes; i++) tailLabels[i] = i < valid ? labelsAt[i] : 0;
                    labelsAt = tailLabels;
                }
                Vector512<int> labels = Vector512.Load(labelsAt);
                Vector512<float> live = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(valid)).AsSingle();
                float* xBlock = blockData + block * blockStride;
                var h = (Vector512<float>*)(xBlock + TInputs.Value * Lanes);
                Vector512<float>* e = h + hidden;

                // z_j = b1_j + Σ_f W1[j,f]·x_f, h_j = ReLU(z_j), for 16 rows at once
                float* w1Row = w1;
                for (int j = 0; j < hidden; j++, w1Row += TInputs.Value)
                {
                    Vector512<float> z = Vector512.Create(b1[j]);
                    for (int f = 0; f < TInputs.Value; f++) z = Vector512.FusedMultiplyAdd(Vector512.Create(w1Row[f]), Vector512.LoadAligned(xBlock + f * Lanes), z);
                    h[j] = Vector512.Max(z, Vector512<float>.Zero);
                }

                // raw_c = b2_c + Σ_j W2[c,j]·h_j, each row's maximum and first arg-max. A NaN logit or a non-finite maximum stops
                // training; a −∞ logit below a finite maximum is a class of probability 0, as in the general path.
                Vector512<float> max = Vector512<float>.Zero, nonFinite = Vector512<float>.Zero;
                Vector512<int> best = Vector512<int>.Zero;
                float* w2Row = w2;
                for (int c = 0; c < TClasses.Value; c++, w2Row += hidden)
                {
                    Vector512<float> raw = Vector512.Create(b2[c]);
                    for (int j = 0; j < hidden; j++) raw = Vector512.FusedMultiplyAdd(Vector512.Create(w2Row[j]), h[j], raw);
                    e[c] = raw;
                    nonFinite |= ~Vector512.Equals(raw, raw);   // NaN
                    if (c == 0) { max = raw; continue; }
                    Vector512<float> above = Vector512.GreaterThan(raw, max);
                    max = Vector512.ConditionalSelect(above, raw, max);
                    best = Vector512.ConditionalSelect(above.AsInt32(), Vector512.Create(c), best);
                }
                nonFinite |= ~Vector512.Equals(max * Vector512<float>.Zero, Vector512<float>.Zero);   // 0·±∞ is NaN
                if ((nonFinite & live) != Vector512<float>.Zero) return double.NaN;
                correct += BitOperations.PopCount(Vector512.ExtractMostSignificantBits(Vector512.Equals(best, labels).AsSingle() & live));

                // softmax with the maximum subtracted; loss_row = −ln p_y = max − raw_y + ln Σ_c e^(raw_c − max)
                Vector512<float> expSum = Vector512<float>.Zero, rawTarget = Vector512<float>.Zero;
                for (int c = 0; c < TClasses.Value; c++)
                {
                    rawTarget = Vector512.ConditionalSelect(Vector512.Equals(labels, Vector512.Create(c)).AsSingle(), e[c], rawTarget);
                    e[c] = ExpOfNonPositive(e[c] - max);
                    expSum += e[c];
                }
                linearLoss += (max - rawTarget) & live;
                // Each Σe lies in [1, classes ≤ 16]: multiply 16 blocks' worth per lane (≤ 2^64) before taking one vector log.
                product *= Vector512.ConditionalSelect(live, expSum, Vector512<float>.One);
                if (block % 16 == 15) { logLoss += Vector512.Log(product); product = Vector512<float>.One; }

                // ∂loss/∂raw_c = d_c = (p_c − [c = y]) / batch, zero on padding rows; ∂/∂b2_c += d_c
                Vector512<float> factor = (scale / expSum) & live;
                Vector512<float> targetScale = scale & live;
                for (int c = 0; c < TClasses.Value; c++)
                {
                    Vector512<float> onehot = Vector512.Equals(labels, Vector512.Create(c)).AsSingle() & targetScale;
                    e[c] = Vector512.FusedMultiplyAdd(e[c], factor, -onehot);
                    accB2[c] += e[c];
                }
            }
            logLoss += Vector512.Log(product);

            // Backward, a second pass: the forward pass's blocks are independent, so the CPU overlaps one block's long chain
            // (logits, exp, division) with the next; the backward pass has only short chains.
            for (int block = 0; block < blocks; block++)
            {
                float* xBlock = blockData + block * blockStride;
                var h = (Vector512<float>*)(xBlock + TInputs.Value * Lanes);
                Vector512<float>* e = h + hidden;
                // back through W2: ∂/∂W2[c,j] += d_c·h_j and ∂/∂h_j = Σ_c W2[c,j]·d_c; through the ReLU: ∂/∂z_j = ∂/∂h_j where
                // h_j > 0; then ∂/∂b1_j += ∂/∂z_j and ∂/∂W1[j,f] += ∂/∂z_j·x_f
                Vector512<float>* gW2 = accW2, gW1 = accW1;
                float* w2Column = w2t;
                for (int j = 0; j < hidden; j++, gW2 += TClasses.Value, gW1 += TInputs.Value, w2Column += TClasses.Value)
                {
                    Vector512<float> hj = h[j], dh = Vector512<float>.Zero;
                    for (int c = 0; c < TClasses.Value; c++)
                    {
                        gW2[c] = Vector512.FusedMultiplyAdd(e[c], hj, gW2[c]);
                        dh = Vector512.FusedMultiplyAdd(Vector512.Create(w2Column[c]), e[c], dh);
                    }
                    Vector512<float> dz = Vector512.ConditionalSelect(Vector512.GreaterThan(hj, Vector512<float>.Zero), dh, Vector512<float>.Zero);
                    accB1[j] += dz;
                    for (int f = 0; f < TInputs.Value; f++) gW1[f] = Vector512.FusedMultiplyAdd(dz, Vector512.LoadAligned(xBlock + f * Lanes), gW1[f]);
                }
            }

            // Sum each accumulator's 16 row-lanes and add them into the parameters' gradients (Backward adds; ZeroGrad clears).
            float* sums = arena + _sumsFloat;
            LaneSums(slots, _accumulators, sums);
            float[] gradient = _first.Weight.Gradient;
            for (int i = 0; i < gradient.Length; i++) gradient[i] += sums[i];
            sums += gradient.Length;
            gradient = _first.Bias.Gradient;
            for (int j = 0; j < hidden; j++) gradient[j] += sums[j];
            sums += hidden;
            gradient = _second.Weight.Gradient;
            for (int j = 0; j < hidden; j++)
                for (int c = 0; c < TClasses.Value; c++) gradient[c * hidden + j] += sums[j * TClasses.Value + c];
            sums += hidden * TClasses.Value;
            gradient = _second.Bias.Gradient;
            for (int c = 0; c < TClasses.Value; c++) gradient[c] += sums[c];
            Vector512<float> rowLosses = linearLoss + logLoss;
            return Vector512.Sum(Vector512.WidenLower(rowLosses) + Vector512.WidenUpper(rowLosses)) / batch;
        }
    }

    // e^x for finite x ≤ 0 (the softmax's shifted logits), within 2 ulp: x = n·ln 2 + r with |r| ≤ ln 2 / 2, e^r by its Taylor
    // polynomial to degree 7, times 2^n put straight into the exponent bits. Below −87.3 the result is clamped to ~1e-38.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> ExpOfNonPositive(Vector512<float> x)
    {
        x = Vector512.Max(x, Vector512.Create(-87.3f));
        Vector512<float> n = Vector512.Round(x * Vector512.Create(1.44269504f));
        Vector512<float> r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-0.693145752f), x);      // ln 2 split in a high part
        r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-1.42860677e-6f), r);                     // and the rest
        Vector512<float> p = Vector512.Create(1f / 5040);
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1f / 720));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1f / 120));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1f / 24));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1f / 6));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(0.5f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512<float>.One);
        p = Vector512.FusedMultiplyAdd(p, r, Vector512<float>.One);
        Vector512<int> twoToN = (Vector512.ConvertToInt32(n) + Vector512.Create(127)) << 23;
        return p * twoToN.AsSingle();
    }

    // sums[i] = the sum of the 16 lanes of v[i], for i < count. Sixteen vectors at a time by a tree of two-source permutes:
    // each level halves the partial lanes per source and doubles the sources per vector, so 16 sums cost 15 × (2 permutes
    // + 1 add).
    internal static void LaneSums(Vector512<float>* v, int count, float* sums)
    {
        int i = 0;
        for (; i + Lanes <= count; i += Lanes)
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
        Span<int> index = stackalloc int[Lanes];
        for (int i = 0; i < Lanes; i++) index[i] = i / width * 2 * width + i % width + offset;
        return Vector512.Create((ReadOnlySpan<int>)index);
    }

    private static readonly Vector512<int> s_fold8 = FoldIndex(8, 0), s_fold8Next = FoldIndex(8, 8);
    private static readonly Vector512<int> s_fold4 = FoldIndex(4, 0), s_fold4Next = FoldIndex(4, 4);
    private static readonly Vector512<int> s_fold2 = FoldIndex(2, 0), s_fold2Next = FoldIndex(2, 2);
    private static readonly Vector512<int> s_fold1 = FoldIndex(1, 0), s_fold1Next = FoldIndex(1, 1);
}

/// <summary>A size known when the JIT compiles a generic instantiation, so loops bounded by it can be unrolled.</summary>
internal interface ISize { static abstract int Value { get; } }
internal struct Size1 : ISize { public static int Value => 1; }
internal struct Size2 : ISize { public static int Value => 2; }
internal struct Size3 : ISize { public static int Value => 3; }
internal struct Size4 : ISize { public static int Value => 4; }
internal struct Size5 : ISize { public static int Value => 5; }
internal struct Size6 : ISize { public static int Value => 6; }
internal struct Size7 : ISize { public static int Value => 7; }
internal struct Size8 : ISize { public static int Value => 8; }
internal struct Size9 : ISize { public static int Value => 9; }
internal struct Size10 : ISize { public static int Value => 10; }
internal struct Size11 : ISize { public static int Value => 11; }
internal struct Size12 : ISize { public static int Value => 12; }
internal struct Size13 : ISize { public static int Value => 13; }
internal struct Size14 : ISize { public static int Value => 14; }
internal struct Size15 : ISize { public static int Value => 15; }
internal struct Size16 : ISize { public static int Value => 16; }
