using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Xent.Layers;
using Xent.Numerics;

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

    /// <summary>Adam (or AdamW) over the given parameters, with zeroed moment buffers.</summary>
    /// <param name="parameters">The parameters it updates, e.g. <see cref="Layers.Network.Parameters"/>.</param>
    /// <param name="learningRate">η, positive.</param>
    /// <param name="beta1">β1, the first moment's decay, in [0, 1).</param>
    /// <param name="beta2">β2, the second moment's decay, in [0, 1).</param>
    /// <param name="epsilon">ε in the denominator, positive.</param>
    /// <param name="weightDecay">λ, non-negative: an L2 term or, with <paramref name="decoupledWeightDecay"/>, AdamW's decay.</param>
    /// <param name="decoupledWeightDecay">True for AdamW.</param>
    /// <exception cref="ArgumentOutOfRangeException">A coefficient is out of its range.</exception>
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

    /// <inheritdoc/>
    public float LearningRate { get; set; }
    /// <summary>β1, the first moment's decay.</summary>
    public float Beta1 { get; }
    /// <summary>β2, the second moment's decay.</summary>
    public float Beta2 { get; }
    /// <summary>ε in the denominator.</summary>
    public float Epsilon { get; }
    /// <summary>λ: the L2 coefficient, or AdamW's decoupled decay.</summary>
    public float WeightDecay { get; }
    /// <summary>Whether the decay is decoupled (AdamW).</summary>
    public bool DecoupledWeightDecay { get; }
    /// <inheritdoc/>
    public long StepCount { get; set; }
    /// <inheritdoc/>
    public IReadOnlyList<(string Name, float[] Buffer)> State { get; }

    /// <inheritdoc/>
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
        Update(_parameters[index].Value.Slice(start, count), _parameters[index].Gradient.Slice(start, count),
            _first[index].AsSpan(start, count), _second[index].AsSpan(start, count), decay, l2, Beta1, Beta2, Epsilon, _stepSize, _rootCorrection2);
    }

    // θ, g, m, v [n], one pass, each element read and written once: t = θ·decay; g′ = g + l2·t; m = β1·m + (1−β1)·g′;
    // v = β2·v + (1−β2)·g′²; θ = t − stepSize·m / (√v / rootCorrection2 + ε).
    internal static void Update(Span<float> theta, ReadOnlySpan<float> grad, Span<float> m, Span<float> v, float decay, float l2,
        float beta1, float beta2, float epsilon, float stepSize, float rootCorrection2) =>
        Elementwise.Run(new AdamStep(decay, l2, beta1, beta2, epsilon, stepSize, rootCorrection2), theta.Length, theta, Elementwise.ReadOnly(grad), m, v);

    // Streams θ, g, m, v; θ, m and v are written. The formula above, each multiply and add rounded on its own, as PyTorch does.
    private readonly struct AdamStep(float decay, float l2, float beta1, float beta2, float epsilon, float stepSize, float rootCorrection2) : IElementwiseOperator
    {
        public static int Reads => 0b1111;
        public static int Writes => 0b1101;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]

        public void Invoke(ref float theta, ref float grad, ref float m, ref float v)
        {
            float t = theta * decay, g = grad + l2 * t;
            m = beta1 * m + (1 - beta1) * g;
            v = beta2 * v + (1 - beta2) * g * g;
            theta = t - stepSize * m / (MathF.Sqrt(v) / rootCorrection2 + epsilon);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]

        public void Invoke(ref Vector128<float> theta, ref Vector128<float> grad, ref Vector128<float> m, ref Vector128<float> v)
        {
            Vector128<float> t = theta * Vector128.Create(decay), g = grad + Vector128.Create(l2) * t;
            m = Vector128.Create(beta1) * m + Vector128.Create(1 - beta1) * g;
            v = Vector128.Create(beta2) * v + Vector128.Create(1 - beta2) * g * g;
            theta = t - Vector128.Create(stepSize) * m / (Vector128.Sqrt(v) / Vector128.Create(rootCorrection2) + Vector128.Create(epsilon));
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]

        public void Invoke(ref Vector256<float> theta, ref Vector256<float> grad, ref Vector256<float> m, ref Vector256<float> v)
        {
            Vector256<float> t = theta * Vector256.Create(decay), g = grad + Vector256.Create(l2) * t;
            m = Vector256.Create(beta1) * m + Vector256.Create(1 - beta1) * g;
            v = Vector256.Create(beta2) * v + Vector256.Create(1 - beta2) * g * g;
            theta = t - Vector256.Create(stepSize) * m / (Vector256.Sqrt(v) / Vector256.Create(rootCorrection2) + Vector256.Create(epsilon));
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]

        public void Invoke(ref Vector512<float> theta, ref Vector512<float> grad, ref Vector512<float> m, ref Vector512<float> v)
        {
            Vector512<float> t = theta * Vector512.Create(decay), g = grad + Vector512.Create(l2) * t;
            m = Vector512.Create(beta1) * m + Vector512.Create(1 - beta1) * g;
            v = Vector512.Create(beta2) * v + Vector512.Create(1 - beta2) * g * g;
            theta = t - Vector512.Create(stepSize) * m / (Vector512.Sqrt(v) / Vector512.Create(rootCorrection2) + Vector512.Create(epsilon));
        }
    }
}
