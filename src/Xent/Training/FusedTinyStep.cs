using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Xent.Layers;
using Xent.Losses;
using Xent.Numerics;

namespace Xent.Training;

/// <summary>
/// The small-network path of a training step, for Iris-sized networks: inputs ≤ 16 → hidden ≤ 32 ReLU units → classes ≤ 16
/// with plain mean cross entropy. At this size a step's cost is overhead (passes over intermediate buffers, horizontal sums,
/// scalar exponentials), not arithmetic, so this path works on 16 rows at a time with one Vector512 holding one quantity
/// (an input feature, a hidden unit, a logit, a gradient) for all 16 rows (on AVX2 CPUs, 8 rows per Vector256; the width is
/// chosen in <see cref="KernelPaths.FusedStep"/>): every operation is a full-width FMA with a
/// broadcast weight, the softmax's exponential is an inlined vector polynomial, and each gradient is kept as 16 per-row
/// partial sums, added up once per step by a tree of permutes. A forward pass over all blocks comes first (the blocks are
/// independent, so the CPU overlaps one block's long chain of logits, exponentials and division with the next), then the
/// backward pass. The widths of the input and output layers are type parameters (Run&lt;TInputs, TClasses&gt;), so the JIT
/// compiles one copy per shape with those short loops unrolled. It computes what the general path (Dense.Forward,
/// SoftmaxCrossEntropy.ForwardBackward, Dense.Backward) computes, up to float rounding; the tests compare the two.
/// </summary>
internal sealed unsafe class FusedTinyStep
{
    private const int Lanes = 16;   // the widest: 16 floats per Vector512 (the arena's alignment and padding)
    private const int MaxInputs = 16, MaxHidden = 32, MaxClasses = 16;
    private readonly Dense _first;
    private readonly Dense _second;
    private readonly int _ignoreIndex;
    private readonly int _inputs, _hidden, _classes;
    private readonly int _lanes;   // rows per register: 16 (Vector512) or 8 (Vector256)
    // One pinned, 64-byte aligned arena. Vector512 slots: the gradient accumulators (W1 [hidden, inputs], b1 [hidden],
    // W2 [hidden, classes] (transposed), b2 [classes]). Then floats: W2 transposed [hidden, classes] and the lane sums.
    private readonly float[] _arena;
    private readonly int _arenaStart;
    private readonly int _accumulators, _w2tFloat, _sumsFloat;
    // The batch in blocks of 16 rows, each block [inputs + hidden + classes] vectors: x, then h, then the logits (which
    // become ∂loss/∂logits). Pinned and aligned; grows with the batch, never shrinks.
    private float[] _blocks = [];
    private int _blocksStart, _blocksCapacity;

    private FusedTinyStep(Dense first, Dense second, int ignoreIndex, SimdPath path)
    {
        _lanes = path == SimdPath.Vector512 ? 16 : 8;
        _first = first;
        _second = second;
        _ignoreIndex = ignoreIndex;
        (_inputs, _hidden, _classes) = (first.Inputs, first.Outputs, second.Outputs);
        _accumulators = _hidden * _inputs + _hidden + _hidden * _classes + _classes;
        _w2tFloat = _accumulators * _lanes;
        _sumsFloat = _w2tFloat + (_hidden * _classes + Lanes - 1) / Lanes * Lanes;
        (_arena, _arenaStart) = AlignedPinned(_sumsFloat + (_accumulators + Lanes - 1) / Lanes * Lanes);
    }

    /// <summary>The fused step for this network and loss, or null when they are not of the shape it handles.</summary>
    public static FusedTinyStep? TryCreate(Network network, IClassificationLoss loss) => TryCreate(network, loss, KernelPaths.FusedStep);

    /// <summary>The same on a given width (Vector512 or Vector256; tests run both where the CPU has them), or null.</summary>
    internal static FusedTinyStep? TryCreate(Network network, IClassificationLoss loss, SimdPath path)
    {
        bool runs = path switch
        {
            SimdPath.Vector512 => Avx512F.IsSupported,
            SimdPath.Vector256 => Avx2.IsSupported && Fma.IsSupported,
            _ => false,
        };
        if (!runs || network.Layers.Count != 2) return null;
        Dense first = network.Layers[0], second = network.Layers[1];
        if (first.Activation != Activation.Relu || second.Activation != Activation.Identity) return null;
        if (first.Inputs > MaxInputs || first.Outputs > MaxHidden || second.Outputs > MaxClasses) return null;
        if (loss is not SoftmaxCrossEntropy { Options: { Weights: null, LabelSmoothing: 0, Reduction: Reduction.Mean } } ce) return null;
        return new FusedTinyStep(first, second, ce.Options.IgnoreIndex, path);
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
        int blocks = (batch + _lanes - 1) / _lanes;
        long neededLong = (long)blocks * (_inputs + _hidden + _classes) * _lanes;
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
        int lanes = _lanes, hidden = _hidden, blocks = (batch + lanes - 1) / lanes, blockStride = (TInputs.Value + hidden + TClasses.Value) * lanes;
        fixed (float* blocksFixed = &_blocks[_blocksStart], arena = &_arena[_arenaStart])
        fixed (float* w1 = _first.Weight.Value, b1 = _first.Bias.Value, w2 = _second.Weight.Value, b2 = _second.Bias.Value)
        fixed (float* xFixed = x)
        fixed (int* labelsFixed = y)
        {
            // x [batch, inputs] -> blocks of `lanes` rows, feature by feature: block[f·lanes + lane]
            for (int block = 0; block < blocks; block++)
            {
                float* to = blocksFixed + block * blockStride;
                int valid = Math.Min(lanes, batch - block * lanes);
                float* from = xFixed + block * lanes * TInputs.Value;
                for (int lane = 0; lane < valid; lane++, from += TInputs.Value)
                    for (int f = 0; f < TInputs.Value; f++) to[f * lanes + lane] = from[f];
                for (int lane = valid; lane < lanes; lane++)
                    for (int f = 0; f < TInputs.Value; f++) to[f * lanes + lane] = 0;   // padding rows: finite, masked below
            }
            new Span<float>(arena, _accumulators * lanes).Clear();
            float* w2t = arena + _w2tFloat;
            for (int c = 0; c < TClasses.Value; c++)
                for (int j = 0; j < hidden; j++) w2t[j * TClasses.Value + c] = w2[c * hidden + j];

            var net = new Weights(w1, b1, w2, b2, w2t, hidden);
            double loss = lanes == 16
                ? Blocks512<TInputs, TClasses>(net, blocksFixed, labelsFixed, arena, batch, out correct)
                : Blocks256<TInputs, TClasses>(net, blocksFixed, labelsFixed, arena, batch, out correct);
            if (double.IsNaN(loss)) return loss;

            // Sum each accumulator's row-lanes and add them into the parameters' gradients (Backward adds; ZeroGrad clears).
            float* sums = arena + _sumsFloat;
            if (lanes == 16) LaneSums((Vector512<float>*)arena, _accumulators, sums);
            else LaneSums((Vector256<float>*)arena, _accumulators, sums);
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
            return loss;
        }
    }

    // The parameters as the block loops read them: W1 [hidden, inputs], b1 [hidden], W2 [classes, hidden], b2 [classes] and
    // W2 transposed [hidden, classes].
    private readonly struct Weights(float* w1, float* b1, float* w2, float* b2, float* w2t, int hidden)
    {
        public readonly float* W1 = w1, B1 = b1, W2 = w2, B2 = b2, W2T = w2t;
        public readonly int Hidden = hidden;
    }

    // The forward and backward passes over all blocks of 16 rows, one Vector512 per quantity. Adds the gradients, as
    // per-row partial sums, into the accumulators (W1 [hidden, inputs], b1 [hidden], W2ᵀ [hidden, classes], b2 [classes]);
    // returns the mean loss, or NaN when a logit is not finite. Blocks256 below is the same algorithm, 8 rows at a time:
    // C# has no public width-generic vector interface, so the two widths are written out (keep them in step).
    private static double Blocks512<TInputs, TClasses>(Weights net, float* blockData, int* labelsFixed, float* arena, int batch, out int correct)
        where TInputs : struct, ISize where TClasses : struct, ISize
    {
        const int lanes = 16;
        int hidden = net.Hidden, blocks = (batch + lanes - 1) / lanes, blockStride = (TInputs.Value + hidden + TClasses.Value) * lanes;
        correct = 0;
        var slots = (Vector512<float>*)arena;
        Vector512<float>* accW1 = slots, accB1 = accW1 + hidden * TInputs.Value, accW2 = accB1 + hidden, accB2 = accW2 + hidden * TClasses.Value;
        int* tailLabels = stackalloc int[lanes];
        Vector512<float> scale = Vector512.Create(1f / batch);
        Vector512<float> linearLoss = Vector512<float>.Zero, logLoss = Vector512<float>.Zero, product = Vector512<float>.One;
        for (int block = 0; block < blocks; block++)
        {
            int valid = Math.Min(lanes, batch - block * lanes);
            int* labelsAt = labelsFixed + block * lanes;
            if (valid < lanes)
            {
                for (int i = 0; i < lanes; i++) tailLabels[i] = i < valid ? labelsAt[i] : 0;
                labelsAt = tailLabels;
            }
            Vector512<int> labels = Vector512.Load(labelsAt);
            Vector512<float> live = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(valid)).AsSingle();
            float* xBlock = blockData + block * blockStride;
            var h = (Vector512<float>*)(xBlock + TInputs.Value * lanes);
            Vector512<float>* e = h + hidden;

            // z_j = b1_j + Σ_f W1[j,f]·x_f, h_j = ReLU(z_j), for 16 rows at once
            float* w1Row = net.W1;
            for (int j = 0; j < hidden; j++, w1Row += TInputs.Value)
            {
                Vector512<float> z = Vector512.Create(net.B1[j]);
                for (int f = 0; f < TInputs.Value; f++) z = Vector512.FusedMultiplyAdd(Vector512.Create(w1Row[f]), Vector512.LoadAligned(xBlock + f * lanes), z);
                h[j] = Vector512.Max(z, Vector512<float>.Zero);
            }

            // raw_c = b2_c + Σ_j W2[c,j]·h_j, each row's maximum and first arg-max. A NaN logit or a non-finite maximum stops
            // training; a −∞ logit below a finite maximum is a class of probability 0, as in the general path.
            Vector512<float> max = Vector512<float>.Zero, nonFinite = Vector512<float>.Zero;
            Vector512<int> best = Vector512<int>.Zero;
            float* w2Row = net.W2;
            for (int c = 0; c < TClasses.Value; c++, w2Row += hidden)
            {
                Vector512<float> raw = Vector512.Create(net.B2[c]);
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
            var h = (Vector512<float>*)(xBlock + TInputs.Value * lanes);
            Vector512<float>* e = h + hidden;
            // back through W2: ∂/∂W2[c,j] += d_c·h_j and ∂/∂h_j = Σ_c W2[c,j]·d_c; through the ReLU: ∂/∂z_j = ∂/∂h_j where
            // h_j > 0; then ∂/∂b1_j += ∂/∂z_j and ∂/∂W1[j,f] += ∂/∂z_j·x_f
            Vector512<float>* gW2 = accW2, gW1 = accW1;
            float* w2Column = net.W2T;
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
                for (int f = 0; f < TInputs.Value; f++) gW1[f] = Vector512.FusedMultiplyAdd(dz, Vector512.LoadAligned(xBlock + f * lanes), gW1[f]);
            }
        }
        Vector512<float> rowLosses = linearLoss + logLoss;
        return Vector512.Sum(Vector512.WidenLower(rowLosses) + Vector512.WidenUpper(rowLosses)) / batch;
    }

    // The forward and backward passes over all blocks of 16 rows, one Vector256 per quantity. Adds the gradients, as
    // per-row partial sums, into the accumulators (W1 [hidden, inputs], b1 [hidden], W2ᵀ [hidden, classes], b2 [classes]);
    // returns the mean loss, or NaN when a logit is not finite. Blocks256 below is the same algorithm, 8 rows at a time:
    // C# has no public width-generic vector interface, so the two widths are written out (keep them in step).
    private static double Blocks256<TInputs, TClasses>(Weights net, float* blockData, int* labelsFixed, float* arena, int batch, out int correct)
        where TInputs : struct, ISize where TClasses : struct, ISize
    {
        const int lanes = 8;
        int hidden = net.Hidden, blocks = (batch + lanes - 1) / lanes, blockStride = (TInputs.Value + hidden + TClasses.Value) * lanes;
        correct = 0;
        var slots = (Vector256<float>*)arena;
        Vector256<float>* accW1 = slots, accB1 = accW1 + hidden * TInputs.Value, accW2 = accB1 + hidden, accB2 = accW2 + hidden * TClasses.Value;
        int* tailLabels = stackalloc int[lanes];
        Vector256<float> scale = Vector256.Create(1f / batch);
        Vector256<float> linearLoss = Vector256<float>.Zero, logLoss = Vector256<float>.Zero, product = Vector256<float>.One;
        for (int block = 0; block < blocks; block++)
        {
            int valid = Math.Min(lanes, batch - block * lanes);
            int* labelsAt = labelsFixed + block * lanes;
            if (valid < lanes)
            {
                for (int i = 0; i < lanes; i++) tailLabels[i] = i < valid ? labelsAt[i] : 0;
                labelsAt = tailLabels;
            }
            Vector256<int> labels = Vector256.Load(labelsAt);
            Vector256<float> live = Vector256.LessThan(Vector256<int>.Indices, Vector256.Create(valid)).AsSingle();
            float* xBlock = blockData + block * blockStride;
            var h = (Vector256<float>*)(xBlock + TInputs.Value * lanes);
            Vector256<float>* e = h + hidden;

            // z_j = b1_j + Σ_f W1[j,f]·x_f, h_j = ReLU(z_j), for 8 rows at once
            float* w1Row = net.W1;
            for (int j = 0; j < hidden; j++, w1Row += TInputs.Value)
            {
                Vector256<float> z = Vector256.Create(net.B1[j]);
                for (int f = 0; f < TInputs.Value; f++) z = Vector256.FusedMultiplyAdd(Vector256.Create(w1Row[f]), Vector256.LoadAligned(xBlock + f * lanes), z);
                h[j] = Vector256.Max(z, Vector256<float>.Zero);
            }

            // raw_c = b2_c + Σ_j W2[c,j]·h_j, each row's maximum and first arg-max. A NaN logit or a non-finite maximum stops
            // training; a −∞ logit below a finite maximum is a class of probability 0, as in the general path.
            Vector256<float> max = Vector256<float>.Zero, nonFinite = Vector256<float>.Zero;
            Vector256<int> best = Vector256<int>.Zero;
            float* w2Row = net.W2;
            for (int c = 0; c < TClasses.Value; c++, w2Row += hidden)
            {
                Vector256<float> raw = Vector256.Create(net.B2[c]);
                for (int j = 0; j < hidden; j++) raw = Vector256.FusedMultiplyAdd(Vector256.Create(w2Row[j]), h[j], raw);
                e[c] = raw;
                nonFinite |= ~Vector256.Equals(raw, raw);   // NaN
                if (c == 0) { max = raw; continue; }
                Vector256<float> above = Vector256.GreaterThan(raw, max);
                max = Vector256.ConditionalSelect(above, raw, max);
                best = Vector256.ConditionalSelect(above.AsInt32(), Vector256.Create(c), best);
            }
            nonFinite |= ~Vector256.Equals(max * Vector256<float>.Zero, Vector256<float>.Zero);   // 0·±∞ is NaN
            if ((nonFinite & live) != Vector256<float>.Zero) return double.NaN;
            correct += BitOperations.PopCount(Vector256.ExtractMostSignificantBits(Vector256.Equals(best, labels).AsSingle() & live));

            // softmax with the maximum subtracted; loss_row = −ln p_y = max − raw_y + ln Σ_c e^(raw_c − max)
            Vector256<float> expSum = Vector256<float>.Zero, rawTarget = Vector256<float>.Zero;
            for (int c = 0; c < TClasses.Value; c++)
            {
                rawTarget = Vector256.ConditionalSelect(Vector256.Equals(labels, Vector256.Create(c)).AsSingle(), e[c], rawTarget);
                e[c] = ExpOfNonPositive(e[c] - max);
                expSum += e[c];
            }
            linearLoss += (max - rawTarget) & live;
            // As above: 16 blocks' worth of Σe per lane (≤ 2^64) before one vector log.
            product *= Vector256.ConditionalSelect(live, expSum, Vector256<float>.One);
            if (block % 16 == 15) { logLoss += Vector256.Log(product); product = Vector256<float>.One; }

            // ∂loss/∂raw_c = d_c = (p_c − [c = y]) / batch, zero on padding rows; ∂/∂b2_c += d_c
            Vector256<float> factor = (scale / expSum) & live;
            Vector256<float> targetScale = scale & live;
            for (int c = 0; c < TClasses.Value; c++)
            {
                Vector256<float> onehot = Vector256.Equals(labels, Vector256.Create(c)).AsSingle() & targetScale;
                e[c] = Vector256.FusedMultiplyAdd(e[c], factor, -onehot);
                accB2[c] += e[c];
            }
        }
        logLoss += Vector256.Log(product);

        // Backward, a second pass: the forward pass's blocks are independent, so the CPU overlaps one block's long chain
        // (logits, exp, division) with the next; the backward pass has only short chains.
        for (int block = 0; block < blocks; block++)
        {
            float* xBlock = blockData + block * blockStride;
            var h = (Vector256<float>*)(xBlock + TInputs.Value * lanes);
            Vector256<float>* e = h + hidden;
            // back through W2: ∂/∂W2[c,j] += d_c·h_j and ∂/∂h_j = Σ_c W2[c,j]·d_c; through the ReLU: ∂/∂z_j = ∂/∂h_j where
            // h_j > 0; then ∂/∂b1_j += ∂/∂z_j and ∂/∂W1[j,f] += ∂/∂z_j·x_f
            Vector256<float>* gW2 = accW2, gW1 = accW1;
            float* w2Column = net.W2T;
            for (int j = 0; j < hidden; j++, gW2 += TClasses.Value, gW1 += TInputs.Value, w2Column += TClasses.Value)
            {
                Vector256<float> hj = h[j], dh = Vector256<float>.Zero;
                for (int c = 0; c < TClasses.Value; c++)
                {
                    gW2[c] = Vector256.FusedMultiplyAdd(e[c], hj, gW2[c]);
                    dh = Vector256.FusedMultiplyAdd(Vector256.Create(w2Column[c]), e[c], dh);
                }
                Vector256<float> dz = Vector256.ConditionalSelect(Vector256.GreaterThan(hj, Vector256<float>.Zero), dh, Vector256<float>.Zero);
                accB1[j] += dz;
                for (int f = 0; f < TInputs.Value; f++) gW1[f] = Vector256.FusedMultiplyAdd(dz, Vector256.LoadAligned(xBlock + f * lanes), gW1[f]);
            }
        }
        Vector256<float> rowLosses = linearLoss + logLoss;
        return Vector256.Sum(Vector256.WidenLower(rowLosses) + Vector256.WidenUpper(rowLosses)) / batch;
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

    // ExpOfNonPositive on 8 lanes: the same reduction and polynomial.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> ExpOfNonPositive(Vector256<float> x)
    {
        x = Vector256.Max(x, Vector256.Create(-87.3f));
        Vector256<float> n = Vector256.Round(x * Vector256.Create(1.44269504f));
        Vector256<float> r = Vector256.FusedMultiplyAdd(n, Vector256.Create(-0.693145752f), x);
        r = Vector256.FusedMultiplyAdd(n, Vector256.Create(-1.42860677e-6f), r);
        Vector256<float> p = Vector256.Create(1f / 5040);
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1f / 720));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1f / 120));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1f / 24));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1f / 6));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(0.5f));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256<float>.One);
        p = Vector256.FusedMultiplyAdd(p, r, Vector256<float>.One);
        Vector256<int> twoToN = (Vector256.ConvertToInt32(n) + Vector256.Create(127)) << 23;
        return p * twoToN.AsSingle();
    }

    // sums[i] = the sum of the 8 lanes of v[i], for i < count. Eight vectors at a time: two levels of horizontal adds leave
    // [v0..v3 low-half sums | v0..v3 high-half sums] and the same for v4..v7; exchanging 128-bit halves and one add finishes
    // the 8 sums (7 instructions for 8 sums).
    internal static void LaneSums(Vector256<float>* v, int count, float* sums)
    {
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
