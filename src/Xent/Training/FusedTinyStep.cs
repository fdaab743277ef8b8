using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Xent.Layers;
using Xent.Losses;

namespace Xent.Training;

/// <summary>
/// The small-network path of a training step, for Iris-sized networks: inputs ≤ 16 → 16 ReLU units → classes ≤ 16 with
/// plain mean cross entropy. At this size the cost of a step is passes over intermediate buffers, not arithmetic, so this
/// path takes one row at a time through the forward pass, the softmax cross entropy and the backward pass with the row's
/// hidden layer held in a single 16-wide register, and adds every gradient into register or L1-resident accumulators.
/// It computes exactly what the general path (Dense.Forward, SoftmaxCrossEntropy.ForwardBackward, Dense.Backward)
/// computes, up to float rounding order; the tests compare the two.
/// </summary>
internal sealed class FusedTinyStep
{
    private const int Hidden = 16;
    private const int MaxWidth = 16;
    private readonly Dense _first;
    private readonly Dense _second;
    private readonly int _ignoreIndex;
    private readonly float[] _w1t;     // W1 transposed: [inputs, 16]
    private readonly float[] _gW1t;    // its gradient, transposed
    private readonly float[] _gW2;     // [classes, 16]

    private FusedTinyStep(Dense first, Dense second, int ignoreIndex)
    {
        _first = first;
        _second = second;
        _ignoreIndex = ignoreIndex;
        _w1t = new float[first.Inputs * Hidden];
        _gW1t = new float[first.Inputs * Hidden];
        _gW2 = new float[second.Outputs * Hidden];
    }

    /// <summary>The fused step for this network and loss, or null when they are not of the shape it handles.</summary>
    public static FusedTinyStep? TryCreate(Network network, IClassificationLoss loss)
    {
        if (!Vector512.IsHardwareAccelerated || network.Layers.Count != 2) return null;
        Dense first = network.Layers[0], second = network.Layers[1];
        if (first.Outputs != Hidden || first.Activation != Activation.Relu || second.Activation != Activation.Identity) return null;
        if (first.Inputs > MaxWidth || second.Outputs > MaxWidth) return null;
        if (loss is not SoftmaxCrossEntropy { Options: { Weights: null, LabelSmoothing: 0, Reduction: Reduction.Mean } } ce) return null;
        return new FusedTinyStep(first, second, ce.Options.IgnoreIndex);
    }

    // x [batch, inputs], y [batch] -> adds ∂loss/∂θ into every parameter's gradient; returns the mean loss (NaN when a row's
    // logits are not finite, which stops training), or null when a target is ignored or out of range (use the general path).
    public double? Step(ReadOnlySpan<float> x, ReadOnlySpan<int> y, int batch, out int correct)
    {
        correct = 0;
        int inputs = _first.Inputs, classes = _second.Outputs;
        for (int n = 0; n < batch; n++)
            if (y[n] == _ignoreIndex || (uint)y[n] >= (uint)classes) return null;

        float[] w1 = _first.Weight.Value;
        for (int j = 0; j < Hidden; j++)
            for (int f = 0; f < inputs; f++) _w1t[f * Hidden + j] = w1[j * inputs + f];
        Array.Clear(_gW1t);
        Array.Clear(_gW2);

        ref float w1t = ref MemoryMarshal.GetArrayDataReference(_w1t);
        ref float gW1t = ref MemoryMarshal.GetArrayDataReference(_gW1t);
        ref float w2 = ref MemoryMarshal.GetArrayDataReference(_second.Weight.Value);
        ref float gW2 = ref MemoryMarshal.GetArrayDataReference(_gW2);
        ref float xRef = ref MemoryMarshal.GetReference(x);
        Vector512<float> b1 = Vector512.Create((ReadOnlySpan<float>)_first.Bias.Value);
        ref float b2 = ref MemoryMarshal.GetArrayDataReference(_second.Bias.Value);
        Span<float> rowBuffers = stackalloc float[3 * MaxWidth];
        ref float raw = ref rowBuffers[0];
        ref float ex = ref rowBuffers[MaxWidth];
        ref float gb2 = ref rowBuffers[2 * MaxWidth];
        Vector512<float> gb1 = Vector512<float>.Zero;
        float scale = 1f / batch;
        double lossSum = 0, product = 1, logs = 0;

        for (int n = 0; n < batch; n++)
        {
            ref float xRow = ref Unsafe.Add(ref xRef, n * inputs);
            // z = b1 + W1·x, h = ReLU(z): the whole hidden layer in one register
            Vector512<float> z = b1;
            for (int f = 0; f < inputs; f++)
                z = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref xRow, f)), Vector512.LoadUnsafe(ref w1t, (nuint)(f * Hidden)), z);
            Vector512<float> h = Vector512.Max(z, Vector512<float>.Zero);

            // raw = b2 + W2·h, then softmax with the row maximum subtracted; loss −ln p[y] = max + ln Σe − raw[y]
            float max = float.NegativeInfinity;
            int best = 0;
            for (int c = 0; c < classes; c++)
            {
                float r = Unsafe.Add(ref b2, c) + Vector512.Sum(h * Vector512.LoadUnsafe(ref w2, (nuint)(c * Hidden)));
                Unsafe.Add(ref raw, c) = r;
                if (r > max) { max = r; best = c; }
            }
            if (!float.IsFinite(max)) return double.NaN;
            float expSum = 0;
            for (int c = 0; c < classes; c++) expSum += Unsafe.Add(ref ex, c) = MathF.Exp(Unsafe.Add(ref raw, c) - max);
            int target = y[n];
            // Each Σe lies in [1, C]: keep their product and take its log only before it could overflow.
            product *= expSum;
            if (product > 1e280) { logs += Math.Log(product); product = 1; }
            lossSum += max - Unsafe.Add(ref raw, target);
            if (best == target) correct++;

            // ∂loss/∂raw = (p − onehot) / batch; back through W2: ∂/∂h = Σ_c d[c]·W2[c,:]; ∂/∂W2[c,:] += d[c]·h; ∂/∂b2 += d
            float factor = scale / expSum;
            Vector512<float> dh = Vector512<float>.Zero;
            for (int c = 0; c < classes; c++)
            {
                float dcs = Unsafe.Add(ref ex, c) * factor - (c == target ? scale : 0f);
                Unsafe.Add(ref gb2, c) += dcs;
                Vector512<float> dc = Vector512.Create(dcs);
                dh = Vector512.FusedMultiplyAdd(dc, Vector512.LoadUnsafe(ref w2, (nuint)(c * Hidden)), dh);
                Vector512.FusedMultiplyAdd(dc, h, Vector512.LoadUnsafe(ref gW2, (nuint)(c * Hidden))).StoreUnsafe(ref gW2, (nuint)(c * Hidden));
            }
            // through the ReLU: ∂/∂z = ∂/∂h where z > 0; then ∂/∂b1 += ∂/∂z and ∂/∂W1[:,f] += x[f]·∂/∂z
            Vector512<float> dz = Vector512.ConditionalSelect(Vector512.GreaterThan(z, Vector512<float>.Zero), dh, Vector512<float>.Zero);
            gb1 += dz;
            for (int f = 0; f < inputs; f++)
                Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref xRow, f)), dz, Vector512.LoadUnsafe(ref gW1t, (nuint)(f * Hidden)))
                    .StoreUnsafe(ref gW1t, (nuint)(f * Hidden));
        }

        // Add the accumulated gradients into the parameters' buffers (Backward adds; ZeroGrad clears).
        float[] gw1 = _first.Weight.Gradient;
        for (int j = 0; j < Hidden; j++)
            for (int f = 0; f < inputs; f++) gw1[j * inputs + f] += _gW1t[f * Hidden + j];
        Span<float> gb1Span = _first.Bias.Gradient;
        (Vector512.Create((ReadOnlySpan<float>)gb1Span) + gb1).CopyTo(gb1Span);
        float[] gw2 = _second.Weight.Gradient;
        for (int i = 0; i < gw2.Length; i++) gw2[i] += _gW2[i];
        float[] gb2Array = _second.Bias.Gradient;
        for (int c = 0; c < classes; c++) gb2Array[c] += Unsafe.Add(ref gb2, c);
        return (lossSum + logs + Math.Log(product)) / batch;
    }
}
