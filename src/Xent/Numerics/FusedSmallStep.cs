using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Xent.Numerics;

/// <summary>
/// A whole training step's gradients for a small network (inputs ≤ 16 → hidden ≤ 32 ReLU units → classes ≤ 16, softmax
/// cross entropy with the mean reduction, or the sum for data-parallel training), for Iris-sized problems. At this size a step's cost is overhead (passes over intermediate
/// buffers, horizontal sums, scalar exponentials), not arithmetic, so the kernel turns the problem sideways: one vector
/// holds one quantity (an input feature, a hidden unit, a logit, a gradient) for 16 rows (Vector512) or 8 rows (Vector256;
/// <see cref="KernelPaths.FusedStep"/> chooses), every operation is a full-width FMA with a broadcast weight, the softmax's
/// exponential is an inlined vector polynomial, and each gradient is kept as per-row partial sums, added up once per step.
/// <para>
/// The pieces, in order: <c>Pack</c> (rows into blocks of one register's rows), <c>Forward</c> (over all
/// blocks: the blocks are independent, so the CPU overlaps one block's long chain of logits, exponentials and division
/// with the next; it leaves ∂loss/∂logits in the block), <c>Backward</c> (a second pass with short chains) and
/// <c>Reduce</c> (lane sums into the gradients). The algorithm is written once for both widths (<see cref="IMaskedLanes{TSelf, TInts}"/>);
/// the input and class counts are type parameters, chosen once when the step is made, so the JIT compiles one copy per
/// shape with those short loops unrolled.
/// </para>
/// Contract, as the general path's backward pass: the step <b>writes</b> every gradient (no clearing beforehand). It computes
/// what Dense.Forward, SoftmaxCrossEntropy.ForwardBackward and Dense.Backward compute, up to float rounding; the tests
/// compare the two.
/// </summary>
internal sealed unsafe class FusedSmallStep
{
    public const int MaxInputs = 16, MaxHidden = 32, MaxClasses = 16;
    private const int MaxLanes = 16;   // the widest: 16 floats per Vector512 (the arena's alignment and padding)
    private readonly SmallNetwork _network;
    private readonly int _ignoreIndex;
    private readonly bool _mean;   // the mean reduction, else the sum (the data-parallel trainer divides after its all-reduce)
    private readonly int _inputs, _hidden, _classes;
    private readonly int _lanes;   // rows per register: 16 (Vector512) or 8 (Vector256)
    private readonly Shape _shape;
    // One pinned, 64-byte aligned arena. Vectors: the gradient accumulators (W1 [hidden, inputs], b1 [hidden], W2ᵀ
    // [hidden, classes], b2 [classes]). Then floats: W2 transposed [hidden, classes] and the lane sums.
    private readonly float[] _arena;
    private readonly int _arenaStart;
    private readonly int _accumulators, _w2tFloat, _sumsFloat;
    // The batch in blocks of `lanes` rows, each block [inputs + hidden + classes] vectors: x, then h, then the logits
    // (which become ∂loss/∂logits). Pinned and aligned; grows with the batch, never shrinks.
    private float[] _blocks = [];
    private int _blocksStart, _blocksCapacity;

    private FusedSmallStep(SmallNetwork network, int ignoreIndex, SimdPath path, bool mean)
    {
        _network = network;
        _mean = mean;
        _ignoreIndex = ignoreIndex;
        (_inputs, _hidden, _classes) = (network.Inputs, network.Hidden, network.Classes);
        _lanes = path == SimdPath.Vector512 ? 16 : 8;
        _shape = Shape.For(_inputs, _classes);
        _accumulators = _hidden * _inputs + _hidden + _hidden * _classes + _classes;
        _w2tFloat = _accumulators * _lanes;
        _sumsFloat = _w2tFloat + (_hidden * _classes + MaxLanes - 1) / MaxLanes * MaxLanes;
        (_arena, _arenaStart) = AlignedPinned(_sumsFloat + (_accumulators + MaxLanes - 1) / MaxLanes * MaxLanes);
    }

    /// <summary>The fused step for a network of this size, or null when it is too large or the CPU has neither width.</summary>
    public static FusedSmallStep? TryCreate(SmallNetwork network, int ignoreIndex) => TryCreate(network, ignoreIndex, KernelPaths.FusedStep);

    /// <summary>The same on a given width (Vector512 or Vector256; tests run both where the CPU has them), or null.</summary>
    public static FusedSmallStep? TryCreate(SmallNetwork network, int ignoreIndex, SimdPath path, bool mean = true)
    {
        bool runs = path switch
        {
            SimdPath.Vector512 => Avx512F.IsSupported,
            SimdPath.Vector256 => Avx2.IsSupported && Fma.IsSupported,
            _ => false,
        };
        if (!runs || !Fits(network.Inputs, network.Hidden, network.Classes)) return null;
        return new FusedSmallStep(network, ignoreIndex, path, mean);
    }

    /// <summary>Whether a network of these sizes is small enough for this kernel.</summary>
    public static bool Fits(int inputs, int hidden, int classes) =>
        inputs is >= 1 and <= MaxInputs && hidden is >= 1 and <= MaxHidden && classes is >= 1 and <= MaxClasses;

    // A pinned array (it never moves) and the index of its first 64-byte aligned element, with room for `length` floats.
    private static (float[] Array, int Start) AlignedPinned(int length)
    {
        float[] array = GC.AllocateArray<float>(length + MaxLanes, pinned: true);
        nuint address = (nuint)Unsafe.AsPointer(ref array[0]);
        int start = (int)((64 - address % 64) % 64 / sizeof(float));
        return (array, start);
    }

    // x [batch, inputs], y [batch] -> writes ∂loss/∂θ into every gradient of the network; returns the mean (or summed) loss (NaN, with
    // the gradients zero, when a logit is not finite, which stops training), or null, with nothing written, when a target
    // is ignored or out of range or the batch is too large (the general path handles those).
    public double? Step(ReadOnlySpan<float> x, ReadOnlySpan<int> y, int batch, out int correct)
    {
        correct = 0;
        if (batch <= 0 || x.Length < batch * _inputs || y.Length < batch) return null;
        // Every label a class (an ignored row, or one out of range, takes the general path), checked a vector at a time: an
        // ignore index outside [0, classes) is caught by the range.
        ReadOnlySpan<int> labels = y[..batch];
        if (System.Numerics.Tensors.TensorPrimitives.Min(labels) < 0 || System.Numerics.Tensors.TensorPrimitives.Max(labels) >= _classes) return null;
        if ((uint)_ignoreIndex < (uint)_classes && labels.Contains(_ignoreIndex)) return null;
        int blocks = (batch + _lanes - 1) / _lanes;
        long needed = (long)blocks * (_inputs + _hidden + _classes) * _lanes;
        if (needed > Array.MaxLength - MaxLanes) return null;   // a batch of tens of millions of rows
        if (needed > _blocksCapacity)
        {
            _blocksCapacity = (int)needed;
            (_blocks, _blocksStart) = AlignedPinned(_blocksCapacity);
        }
        return _shape.Run(this, x, y, batch, out correct);
    }

    /// <summary>The kernel instantiated for one (inputs, classes) pair; made once per step object.</summary>
    private abstract class Shape
    {
        public abstract double Run(FusedSmallStep step, ReadOnlySpan<float> x, ReadOnlySpan<int> y, int batch, out int correct);

        // The one map from a size 1 … 16 to its type, applied to the inputs and then to the classes.
        public static Shape For(int inputs, int classes) => WithSize<Shape, InputsChosen>(inputs, new InputsChosen(classes));

        private static T WithSize<T, TChoice>(int size, TChoice choice) where TChoice : ISizeChoice<T> => size switch
        {
            1 => choice.With<Size1>(),
            2 => choice.With<Size2>(),
            3 => choice.With<Size3>(),
            4 => choice.With<Size4>(),
            5 => choice.With<Size5>(),
            6 => choice.With<Size6>(),
            7 => choice.With<Size7>(),
            8 => choice.With<Size8>(),
            9 => choice.With<Size9>(),
            10 => choice.With<Size10>(),
            11 => choice.With<Size11>(),
            12 => choice.With<Size12>(),
            13 => choice.With<Size13>(),
            14 => choice.With<Size14>(),
            15 => choice.With<Size15>(),
            16 => choice.With<Size16>(),
            _ => throw new ArgumentOutOfRangeException(nameof(size), size, "the fused step handles sizes 1 to 16"),
        };

        private interface ISizeChoice<T> { T With<TSize>() where TSize : struct, ISize; }

        private readonly struct InputsChosen(int classes) : ISizeChoice<Shape>
        {
            public Shape With<TInputs>() where TInputs : struct, ISize => WithSize<Shape, ClassesChosen<TInputs>>(classes, default);
        }

        private readonly struct ClassesChosen<TInputs> : ISizeChoice<Shape> where TInputs : struct, ISize
        {
            public Shape With<TClasses>() where TClasses : struct, ISize => new Shaped<TInputs, TClasses>();
        }

        private sealed class Shaped<TInputs, TClasses> : Shape where TInputs : struct, ISize where TClasses : struct, ISize
        {
            public override double Run(FusedSmallStep step, ReadOnlySpan<float> x, ReadOnlySpan<int> y, int batch, out int correct) =>
                step.Run<TInputs, TClasses>(x, y, batch, out correct);
        }
    }

    private double Run<TInputs, TClasses>(ReadOnlySpan<float> x, ReadOnlySpan<int> y, int batch, out int correct)
        where TInputs : struct, ISize where TClasses : struct, ISize
    {
        SmallNetwork network = _network;
        fixed (float* blocks = &_blocks[_blocksStart], arena = &_arena[_arenaStart])
        fixed (float* w1 = network.W1.Span, b1 = network.B1.Span, w2 = network.W2.Span, b2 = network.B2.Span)
        fixed (float* xFixed = x)
        fixed (int* labels = y)
        {
            new Span<float>(arena, _accumulators * _lanes).Clear();
            float* w2t = arena + _w2tFloat;
            for (int c = 0; c < TClasses.Value; c++)
                for (int j = 0; j < _hidden; j++) w2t[j * TClasses.Value + c] = w2[c * _hidden + j];
            var weights = new Weights(w1, b1, w2, b2, w2t, _hidden);
            double loss = _lanes == 16
                ? Kernel<Lanes16, Vector512<int>>.Blocks<TInputs, TClasses>(weights, xFixed, blocks, labels, arena, batch, _mean, out correct)
                : Kernel<Lanes8, Vector256<int>>.Blocks<TInputs, TClasses>(weights, xFixed, blocks, labels, arena, batch, _mean, out correct);
            if (double.IsNaN(loss)) network.ClearGradients();
            else if (_lanes == 16) Kernel<Lanes16, Vector512<int>>.Reduce<TInputs, TClasses>(arena, _accumulators, arena + _sumsFloat, network);
            else Kernel<Lanes8, Vector256<int>>.Reduce<TInputs, TClasses>(arena, _accumulators, arena + _sumsFloat, network);
            return loss;
        }
    }

    // The parameters as the block loops read them: W1 [hidden, inputs], b1 [hidden], W2 [classes, hidden], b2 [classes] and
    // W2 transposed [hidden, classes].
    internal readonly struct Weights(float* w1, float* b1, float* w2, float* b2, float* w2t, int hidden)
    {
        public readonly float* W1 = w1, B1 = b1, W2 = w2, B2 = b2, W2T = w2t;
        public readonly int Hidden = hidden;
    }

    // Where the gradient accumulators lie in the arena, as vectors: W1 [hidden, inputs], b1 [hidden], W2ᵀ [hidden, classes], b2 [classes].
    internal readonly struct Accumulators<W>(float* arena, int hidden, int inputs, int classes) where W : unmanaged
    {
        public readonly W* W1 = (W*)arena, B1 = (W*)arena + hidden * inputs, W2T = (W*)arena + hidden * inputs + hidden,
            B2 = (W*)arena + hidden * inputs + hidden + hidden * classes;
    }

    /// <summary>
    /// The block loops at one vector width (W: <see cref="Lanes16"/> or <see cref="Lanes8"/>), written once for both.
    /// </summary>
    internal static class Kernel<W, TInts> where W : unmanaged, IMaskedLanes<W, TInts> where TInts : unmanaged
    {
        // The rows packed into blocks, forward over every block, then backward: the gradients as per-row partial sums in the
        // accumulators. Returns the mean (the sum when !mean) loss, or NaN when a logit is not finite.
        public static double Blocks<TInputs, TClasses>(Weights net, float* x, float* blocks, int* labels, float* arena, int batch, bool mean, out int correct)
            where TInputs : struct, ISize where TClasses : struct, ISize
        {
            Pack<TInputs>(x, batch, net.Hidden + TClasses.Value, blocks);
            var accumulators = new Accumulators<W>(arena, net.Hidden, TInputs.Value, TClasses.Value);
            double loss = Forward<TInputs, TClasses>(net, blocks, labels, accumulators, batch, mean, out correct);
            if (!double.IsNaN(loss)) Backward<TInputs, TClasses>(net, blocks, accumulators, batch);
            return loss;
        }

        // x [batch, inputs] -> blocks of W.Count rows, feature by feature: block[f·lanes + lane]; `rest` vectors (h, logits)
        // follow each block's features. Padding rows are zero: finite, and masked out of every sum.
        private static void Pack<TInputs>(float* x, int batch, int rest, float* blocks) where TInputs : struct, ISize
        {
            int lanes = W.Count, blockCount = (batch + lanes - 1) / lanes, blockStride = (TInputs.Value + rest) * lanes;
            for (int block = 0; block < blockCount; block++)
            {
                float* to = blocks + block * blockStride;
                int valid = Math.Min(lanes, batch - block * lanes);
                float* from = x + block * lanes * TInputs.Value;
                for (int lane = 0; lane < valid; lane++, from += TInputs.Value)
                    for (int f = 0; f < TInputs.Value; f++) to[f * lanes + lane] = from[f];
                for (int lane = valid; lane < lanes; lane++)
                    for (int f = 0; f < TInputs.Value; f++) to[f * lanes + lane] = 0;
            }
        }

        // Each block: h = ReLU(W1·x + b1), logits = W2·h + b2, the loss, the arg-max, and d = ∂loss/∂logits in place of the
        // logits, with ∂/∂b2 += d. Returns the mean (or summed) loss, or NaN as soon as a logit is not finite.
        private static double Forward<TInputs, TClasses>(Weights net, float* blocks, int* labelsFixed, Accumulators<W> acc, int batch, bool mean, out int correct)
            where TInputs : struct, ISize where TClasses : struct, ISize
        {
            int lanes = W.Count, hidden = net.Hidden, blockCount = (batch + lanes - 1) / lanes, blockStride = (TInputs.Value + hidden + TClasses.Value) * lanes;
            correct = 0;
            int* tailLabels = stackalloc int[MaxLanes];
            W zero = default, one = W.Broadcast(1f), scale = W.Broadcast(mean ? 1f / batch : 1f);
            W linearLoss = zero, logLoss = zero, product = one;
            for (int block = 0; block < blockCount; block++)
            {
                int valid = Math.Min(lanes, batch - block * lanes);
                int* labelsAt = labelsFixed + block * lanes;
                if (valid < lanes)
                {
                    for (int i = 0; i < lanes; i++) tailLabels[i] = i < valid ? labelsAt[i] : 0;
                    labelsAt = tailLabels;
                }
                TInts labels = W.Load(labelsAt);
                W live = W.FirstLanes(valid);
                float* xBlock = blocks + block * blockStride;
                var h = (W*)(xBlock + TInputs.Value * lanes);
                W* e = h + hidden;

                // z_j = b1_j + Σ_f W1[j,f]·x_f, h_j = ReLU(z_j), for a register's rows at once
                float* w1Row = net.W1;
                for (int j = 0; j < hidden; j++, w1Row += TInputs.Value)
                {
                    W z = W.Broadcast(net.B1[j]);
                    for (int f = 0; f < TInputs.Value; f++) z = W.MultiplyAdd(W.Broadcast(w1Row[f]), W.LoadAligned(xBlock + f * lanes), z);
                    h[j] = W.Max(z, zero);
                }

                // raw_c = b2_c + Σ_j W2[c,j]·h_j, each row's maximum and first arg-max. A NaN logit or a non-finite maximum stops
                // training; a −∞ logit below a finite maximum is a class of probability 0, as in the general path.
                W max = zero, nonFinite = zero;
                TInts best = W.Broadcast(0);
                float* w2Row = net.W2;
                for (int c = 0; c < TClasses.Value; c++, w2Row += hidden)
                {
                    W raw = W.Broadcast(net.B2[c]);
                    for (int j = 0; j < hidden; j++) raw = W.MultiplyAdd(W.Broadcast(w2Row[j]), h[j], raw);
                    e[c] = raw;
                    nonFinite |= ~W.Equal(raw, raw);   // NaN
                    if (c == 0) { max = raw; continue; }
                    W above = W.GreaterThan(raw, max);
                    max = W.Select(above, raw, max);
                    best = W.Select(above, W.Broadcast(c), best);
                }
                nonFinite |= ~W.Equal(max * zero, zero);   // 0·±∞ is NaN
                if (W.Any(nonFinite & live)) return double.NaN;
                correct += W.CountSet(W.Equal(best, labels) & live);

                // softmax with the maximum subtracted; loss_row = −ln p_y = max − raw_y + ln Σ_c e^(raw_c − max)
                W expSum = zero, rawTarget = zero;
                for (int c = 0; c < TClasses.Value; c++)
                {
                    rawTarget = W.Select(W.Equal(labels, W.Broadcast(c)), e[c], rawTarget);
                    e[c] = ExpOfNonPositive(e[c] - max);
                    expSum += e[c];
                }
                linearLoss += (max - rawTarget) & live;
                // Each Σe lies in [1, classes ≤ 16]: multiply 16 blocks' worth per lane (≤ 2^64) before taking one vector log.
                product *= W.Select(live, expSum, one);
                if (block % 16 == 15) { logLoss += W.Log(product); product = one; }

                // ∂loss/∂raw_c = d_c = (p_c − [c = y]) · scale (1 / batch for the mean, 1 for the sum), zero on padding rows; ∂/∂b2_c += d_c
                W factor = (scale / expSum) & live;
                W targetScale = scale & live;
                for (int c = 0; c < TClasses.Value; c++)
                {
                    W onehot = W.Equal(labels, W.Broadcast(c)) & targetScale;
                    e[c] = W.MultiplyAdd(e[c], factor, -onehot);
                    acc.B2[c] += e[c];
                }
            }
            logLoss += W.Log(product);
            double lossSum = W.Sum(linearLoss + logLoss);
            return mean ? lossSum / batch : lossSum;
        }

        // Each block, from d = ∂loss/∂logits: ∂/∂W2[c,j] += d_c·h_j and ∂/∂h_j = Σ_c W2[c,j]·d_c; through the ReLU:
        // ∂/∂z_j = ∂/∂h_j where h_j > 0; then ∂/∂b1_j += ∂/∂z_j and ∂/∂W1[j,f] += ∂/∂z_j·x_f.
        private static void Backward<TInputs, TClasses>(Weights net, float* blocks, Accumulators<W> acc, int batch)
            where TInputs : struct, ISize where TClasses : struct, ISize
        {
            int lanes = W.Count, hidden = net.Hidden, blockCount = (batch + lanes - 1) / lanes, blockStride = (TInputs.Value + hidden + TClasses.Value) * lanes;
            W zero = default;
            for (int block = 0; block < blockCount; block++)
            {
                float* xBlock = blocks + block * blockStride;
                var h = (W*)(xBlock + TInputs.Value * lanes);
                W* e = h + hidden;
                W* gW2 = acc.W2T, gW1 = acc.W1;
                float* w2Column = net.W2T;
                for (int j = 0; j < hidden; j++, gW2 += TClasses.Value, gW1 += TInputs.Value, w2Column += TClasses.Value)
                {
                    W hj = h[j], dh = zero;
                    for (int c = 0; c < TClasses.Value; c++)
                    {
                        gW2[c] = W.MultiplyAdd(e[c], hj, gW2[c]);
                        dh = W.MultiplyAdd(W.Broadcast(w2Column[c]), e[c], dh);
                    }
                    W dz = W.Select(W.GreaterThan(hj, zero), dh, zero);
                    acc.B1[j] += dz;
                    for (int f = 0; f < TInputs.Value; f++) gW1[f] = W.MultiplyAdd(dz, W.LoadAligned(xBlock + f * lanes), gW1[f]);
                }
            }
        }

        // The accumulators' lane sums, written into the gradients (W2's from its transposed accumulator).
        public static void Reduce<TInputs, TClasses>(float* arena, int count, float* sums, SmallNetwork network)
            where TInputs : struct, ISize where TClasses : struct, ISize
        {
            W.LaneSums((W*)arena, count, sums);
            int hidden = network.Hidden, w1Length = hidden * TInputs.Value;
            new ReadOnlySpan<float>(sums, w1Length).CopyTo(network.W1Grad.Span);
            new ReadOnlySpan<float>(sums + w1Length, hidden).CopyTo(network.B1Grad.Span);
            float* w2t = sums + w1Length + hidden;
            Span<float> w2Grad = network.W2Grad.Span;
            for (int j = 0; j < hidden; j++)
                for (int c = 0; c < TClasses.Value; c++) w2Grad[c * hidden + j] = w2t[j * TClasses.Value + c];
            new ReadOnlySpan<float>(w2t + hidden * TClasses.Value, TClasses.Value).CopyTo(network.B2Grad.Span);
        }

        // e^x for finite x ≤ 0 (the softmax's shifted logits), within 2 ulp: x = n·ln 2 + r with |r| ≤ ln 2 / 2, e^r by its Taylor
        // polynomial to degree 7, times 2^n put straight into the exponent bits. Below −87.3 the result is clamped to ~1e-38.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        internal static W ExpOfNonPositive(W x)
        {
            x = W.Max(x, W.Broadcast(-87.3f));
            W n = W.Round(x * W.Broadcast(1.44269504f));
            W r = W.MultiplyAdd(n, W.Broadcast(-0.693145752f), x);      // ln 2 split in a high part
            r = W.MultiplyAdd(n, W.Broadcast(-1.42860677e-6f), r);            // and the rest
            W p = W.Broadcast(1f / 5040);
            p = W.MultiplyAdd(p, r, W.Broadcast(1f / 720));
            p = W.MultiplyAdd(p, r, W.Broadcast(1f / 120));
            p = W.MultiplyAdd(p, r, W.Broadcast(1f / 24));
            p = W.MultiplyAdd(p, r, W.Broadcast(1f / 6));
            p = W.MultiplyAdd(p, r, W.Broadcast(0.5f));
            p = W.MultiplyAdd(p, r, W.Broadcast(1f));
            p = W.MultiplyAdd(p, r, W.Broadcast(1f));
            return W.ScaleByPowerOfTwo(p, n);
        }
    }
}

/// <summary>
/// The two dense layers' parameters and gradients as <see cref="FusedSmallStep"/> reads and writes them: W1 [hidden,
/// inputs], b1 [hidden], W2 [classes, hidden], b2 [classes], row-major as Dense stores them.
/// </summary>
internal sealed record SmallNetwork(int Inputs, int Hidden, int Classes, Memory<float> W1, Memory<float> B1, Memory<float> W2, Memory<float> B2,
    Memory<float> W1Grad, Memory<float> B1Grad, Memory<float> W2Grad, Memory<float> B2Grad)
{
    public void ClearGradients()
    {
        W1Grad.Span.Clear();
        B1Grad.Span.Clear();
        W2Grad.Span.Clear();
        B2Grad.Span.Clear();
    }
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
