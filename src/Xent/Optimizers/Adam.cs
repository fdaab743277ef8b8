using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Xent.Layers;

namespace Xent.Optimizers;

/// <summary>
/// Adam (Kingma and Ba, 2015) as PyTorch's <c>Adam</c> and <c>AdamW</c> define it. At step t with gradient g:
/// m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²; θ ← θ − η·(m / (1−β1^t)) / (√(v / (1−β2^t)) + ε).
/// Weight decay λ is either L2 (g ← g + λ·θ before the moments; <c>Adam</c>) or decoupled
/// (θ ← θ·(1 − η·λ) before the update; <c>AdamW</c>, Loshchilov and Hutter, 2019).
/// </summary>
public sealed class Adam : IOptimizer
{
    private readonly Parameter[] _parameters;
    private readonly float[][] _first;
    private readonly float[][] _second;
    private readonly SlicedUpdate _update;
    private float _stepSize, _rootCorrection2;   // this step's, for the slices

    public Adam(IEnumerable<Parameter> parameters, float learningRate = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f,
        float epsilon = 1e-8f, float weightDecay = 0f, bool decoupledWeightDecay = false)
    {
        if (!(learningRate > 0) || !float.IsFinite(learningRate)) throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "must be a positive finite number");
        if (!(beta1 >= 0 && beta1 < 1)) throw new ArgumentOutOfRangeException(nameof(beta1), beta1, "must be in [0, 1)");
        if (!(beta2 >= 0 && beta2 < 1)) throw new ArgumentOutOfRangeException(nameof(beta2), beta2, "must be in [0, 1)");
        if (!(epsilon > 0)) throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "must be positive");
        if (!(weightDecay >= 0) || !float.IsFinite(weightDecay)) throw new ArgumentOutOfRangeException(nameof(weightDecay), weightDecay, "must be a non-negative number");
        _parameters = parameters.ToArray();
        LearningRate = learningRate;
        Beta1 = beta1;
        Beta2 = beta2;
        Epsilon = epsilon;
        WeightDecay = weightDecay;
        DecoupledWeightDecay = decoupledWeightDecay;
        _first = _parameters.Select(p => new float[p.Length]).ToArray();
        _second = _parameters.Select(p => new float[p.Length]).ToArray();
        _update = new SlicedUpdate(_parameters, UpdateSlice);
        State = _parameters.Select((p, i) => ($"{p.Name}.adam_m", _first[i]))
            .Concat(_parameters.Select((p, i) => ($"{p.Name}.adam_v", _second[i]))).ToArray();
    }

    public float LearningRate { get; set; }
    public float Beta1 { get; }
    public float Beta2 { get; }
    public float Epsilon { get; }
    public float WeightDecay { get; }
    public bool DecoupledWeightDecay { get; }
    public long StepCount { get; set; }
    public IReadOnlyList<(string Name, float[] Buffer)> State { get; }

    public void Step()
    {
        StepCount++;
        // Bias corrections in double: β^t underflows gracefully and 1 − β^t keeps its digits.
        _stepSize = (float)(LearningRate / (1 - Math.Pow(Beta1, StepCount)));
        _rootCorrection2 = (float)Math.Sqrt(1 - Math.Pow(Beta2, StepCount));
        _update.Run();
    }

    private void UpdateSlice(int index, int start, int count)
    {
        float decay = DecoupledWeightDecay ? 1 - LearningRate * WeightDecay : 1;
        float l2 = DecoupledWeightDecay ? 0 : WeightDecay;
        Update(_parameters[index].Value.AsSpan(start, count), _parameters[index].Gradient.AsSpan(start, count),
            _first[index].AsSpan(start, count), _second[index].AsSpan(start, count), decay, l2, Beta1, Beta2, Epsilon, _stepSize, _rootCorrection2);
    }

    // θ, g, m, v [n], one pass, each element read and written once: t = θ·decay; g′ = g + l2·t; m = β1·m + (1−β1)·g′;
    // v = β2·v + (1−β2)·g′²; θ = t − stepSize·m / (√v / rootCorrection2 + ε).
    internal static void Update(Span<float> theta, ReadOnlySpan<float> grad, Span<float> m, Span<float> v, float decay, float l2,
        float beta1, float beta2, float epsilon, float stepSize, float rootCorrection2)
    {
        int n = theta.Length, j = 0;
        ref float t = ref MemoryMarshal.GetReference(theta);
        ref float g = ref MemoryMarshal.GetReference(grad);
        ref float mr = ref MemoryMarshal.GetReference(m);
        ref float vr = ref MemoryMarshal.GetReference(v);
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<float> dec = Vector512.Create(decay), lambda = Vector512.Create(l2), b1 = Vector512.Create(beta1), b2 = Vector512.Create(beta2);
            Vector512<float> c1 = Vector512.Create(1 - beta1), c2 = Vector512.Create(1 - beta2), eps = Vector512.Create(epsilon);
            Vector512<float> size = Vector512.Create(stepSize), root = Vector512.Create(rootCorrection2);
            for (; j <= n - 16; j += 16)
            {
                Vector512<float> tj = Vector512.LoadUnsafe(ref t, (nuint)j) * dec;
                Vector512<float> gj = Vector512.LoadUnsafe(ref g, (nuint)j) + lambda * tj;
                Vector512<float> mj = b1 * Vector512.LoadUnsafe(ref mr, (nuint)j) + c1 * gj;
                Vector512<float> vj = b2 * Vector512.LoadUnsafe(ref vr, (nuint)j) + c2 * gj * gj;
                mj.StoreUnsafe(ref mr, (nuint)j);
                vj.StoreUnsafe(ref vr, (nuint)j);
                (tj - size * mj / (Vector512.Sqrt(vj) / root + eps)).StoreUnsafe(ref t, (nuint)j);
            }
        }
        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<float> dec = Vector256.Create(decay), lambda = Vector256.Create(l2), b1 = Vector256.Create(beta1), b2 = Vector256.Create(beta2);
            Vector256<float> c1 = Vector256.Create(1 - beta1), c2 = Vector256.Create(1 - beta2), eps = Vector256.Create(epsilon);
            Vector256<float> size = Vector256.Create(stepSize), root = Vector256.Create(rootCorrection2);
            for (; j <= n - 8; j += 8)
            {
                Vector256<float> tj = Vector256.LoadUnsafe(ref t, (nuint)j) * dec;
                Vector256<float> gj = Vector256.LoadUnsafe(ref g, (nuint)j) + lambda * tj;
                Vector256<float> mj = b1 * Vector256.LoadUnsafe(ref mr, (nuint)j) + c1 * gj;
                Vector256<float> vj = b2 * Vector256.LoadUnsafe(ref vr, (nuint)j) + c2 * gj * gj;
                mj.StoreUnsafe(ref mr, (nuint)j);
                vj.StoreUnsafe(ref vr, (nuint)j);
                (tj - size * mj / (Vector256.Sqrt(vj) / root + eps)).StoreUnsafe(ref t, (nuint)j);
            }
        }
        for (; j < n; j++)
        {
            float tj = Unsafe.Add(ref t, j) * decay;
            float gj = Unsafe.Add(ref g, j) + l2 * tj;
            float mj = Unsafe.Add(ref mr, j) = beta1 * Unsafe.Add(ref mr, j) + (1 - beta1) * gj;
            float vj = Unsafe.Add(ref vr, j) = beta2 * Unsafe.Add(ref vr, j) + (1 - beta2) * gj * gj;
            Unsafe.Add(ref t, j) = tj - stepSize * mj / (MathF.Sqrt(vj) / rootCorrection2 + epsilon);
        }
    }
}
