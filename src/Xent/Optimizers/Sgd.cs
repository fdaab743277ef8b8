using System.Numerics.Tensors;
using Xent.Layers;

namespace Xent.Optimizers;

/// <summary>
/// Gradient descent as PyTorch's <c>SGD</c> defines it. With L2 coefficient α, momentum μ and learning rate η:
/// g ← g + α·θ; v ← μ·v + g; the step direction is d = g + μ·v with Nesterov momentum and d = v otherwise; θ ← θ − η·d.
/// With μ = 0 and α = 0 this is the plain step θ ← θ − η·g.
/// </summary>
public sealed class Sgd : IOptimizer
{
    private readonly Parameter[] _parameters;
    private readonly float[][] _velocity;
    private readonly float[] _scratch;

    public Sgd(IEnumerable<Parameter> parameters, float learningRate, float momentum = 0f, bool nesterov = false, float weightDecay = 0f)
    {
        if (!(learningRate > 0) || !float.IsFinite(learningRate)) throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "must be a positive finite number");
        if (!(momentum >= 0 && momentum < 1)) throw new ArgumentOutOfRangeException(nameof(momentum), momentum, "must be in [0, 1)");
        if (nesterov && momentum == 0) throw new ArgumentException("Nesterov momentum needs a momentum above 0", nameof(nesterov));
        if (!(weightDecay >= 0) || !float.IsFinite(weightDecay)) throw new ArgumentOutOfRangeException(nameof(weightDecay), weightDecay, "must be a non-negative number");
        _parameters = parameters.ToArray();
        LearningRate = learningRate;
        Momentum = momentum;
        Nesterov = nesterov;
        WeightDecay = weightDecay;
        _velocity = momentum > 0 ? _parameters.Select(p => new float[p.Length]).ToArray() : [];
        _scratch = new float[_parameters.Length == 0 ? 0 : _parameters.Max(p => p.Length)];
        State = momentum > 0 ? _parameters.Select((p, i) => ($"{p.Name}.momentum", _velocity[i])).ToArray() : [];
    }

    public float LearningRate { get; set; }
    public float Momentum { get; }
    public bool Nesterov { get; }
    public float WeightDecay { get; }
    public long StepCount { get; set; }
    public IReadOnlyList<(string Name, float[] Buffer)> State { get; }

    public void Step()
    {
        StepCount++;
        for (int i = 0; i < _parameters.Length; i++)
        {
            Span<float> value = _parameters[i].Value;
            ReadOnlySpan<float> grad = _parameters[i].Gradient;
            if (WeightDecay > 0)
            {
                // g = g + α·θ (L2 regularisation: the gradient of α/2·‖θ‖²)
                Span<float> g = _scratch.AsSpan(0, value.Length);
                TensorPrimitives.MultiplyAdd(value, WeightDecay, grad, g);
                grad = g;
            }
            if (Momentum == 0)
            {
                // θ = θ − η·g
                TensorPrimitives.MultiplyAdd(grad, -LearningRate, value, value);
                continue;
            }
            Span<float> v = _velocity[i];
            // v = μ·v + g
            TensorPrimitives.MultiplyAdd(v, Momentum, grad, v);
            if (Nesterov)
            {
                // θ = θ − η·(g + μ·v)
                TensorPrimitives.MultiplyAdd(grad, -LearningRate, value, value);
                TensorPrimitives.MultiplyAdd(v, -LearningRate * Momentum, value, value);
            }
            else
            {
                // θ = θ − η·v
                TensorPrimitives.MultiplyAdd(v, -LearningRate, value, value);
            }
        }
    }
}
