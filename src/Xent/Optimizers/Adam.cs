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
        double correction1 = 1 - Math.Pow(Beta1, StepCount);
        double correction2 = 1 - Math.Pow(Beta2, StepCount);
        float stepSize = (float)(LearningRate / correction1);
        float rootCorrection2 = (float)Math.Sqrt(correction2);
        float decay = DecoupledWeightDecay ? 1 - LearningRate * WeightDecay : 1;
        float l2 = DecoupledWeightDecay ? 0 : WeightDecay;
        float b1 = Beta1, b2 = Beta2, eps = Epsilon;
        for (int i = 0; i < _parameters.Length; i++)
        {
            Span<float> theta = _parameters[i].Value;
            ReadOnlySpan<float> grad = _parameters[i].Gradient;
            Span<float> m = _first[i], v = _second[i];
            // One fused pass per buffer: each element is read and written once.
            for (int j = 0; j < theta.Length; j++)
            {
                float t = theta[j] * decay;
                float g = grad[j] + l2 * t;
                float mj = m[j] = b1 * m[j] + (1 - b1) * g;
                float vj = v[j] = b2 * v[j] + (1 - b2) * g * g;
                theta[j] = t - stepSize * mj / (MathF.Sqrt(vj) / rootCorrection2 + eps);
            }
        }
    }
}
