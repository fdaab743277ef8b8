using System.Numerics.Tensors;
using Xent.Layers;

namespace Xent.Optimizers;

/// <summary>
/// Gradient descent, optionally with momentum (PyTorch's formulation): v ← μ·v + g; θ ← θ − η·v.
/// With μ = 0 this is the plain step θ ← θ − η·g.
/// </summary>
public sealed class Sgd : IOptimizer
{
    private readonly Parameter[] _parameters;
    private readonly float[][] _velocity;

    public Sgd(IEnumerable<Parameter> parameters, float learningRate, float momentum = 0f)
    {
        if (!(learningRate > 0) || !float.IsFinite(learningRate)) throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "must be a positive finite number");
        if (!(momentum >= 0 && momentum < 1)) throw new ArgumentOutOfRangeException(nameof(momentum), momentum, "must be in [0, 1)");
        _parameters = parameters.ToArray();
        LearningRate = learningRate;
        Momentum = momentum;
        _velocity = momentum > 0 ? _parameters.Select(p => new float[p.Length]).ToArray() : [];
    }

    public float LearningRate { get; set; }
    public float Momentum { get; }

    public void Step()
    {
        for (int i = 0; i < _parameters.Length; i++)
        {
            Span<float> value = _parameters[i].Value;
            ReadOnlySpan<float> grad = _parameters[i].Gradient;
            if (Momentum > 0)
            {
                Span<float> v = _velocity[i];
                // v = μ·v + g
                TensorPrimitives.MultiplyAdd(v, Momentum, grad, v);
                // θ = θ − η·v
                TensorPrimitives.MultiplyAdd(v, -LearningRate, value, value);
            }
            else
            {
                // θ = θ − η·g
                TensorPrimitives.MultiplyAdd(grad, -LearningRate, value, value);
            }
        }
    }
}
