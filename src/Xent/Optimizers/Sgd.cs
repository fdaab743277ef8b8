using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
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
    private readonly SlicedUpdate _update;

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
        _update = new SlicedUpdate(_parameters, UpdateSlice);
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
        _update.Run();
    }

    private void UpdateSlice(int index, int start, int count)
    {
        Span<float> velocity = Momentum > 0 ? _velocity[index].AsSpan(start, count) : default;
        Update(_parameters[index].Value.AsSpan(start, count), _parameters[index].Gradient.AsSpan(start, count), velocity,
            LearningRate, Momentum, WeightDecay, Nesterov);
    }

    // θ, g, v [n] (v empty without momentum), one pass: g′ = g + α·θ; v = μ·v + g′; d = g′ + μ·v (Nesterov) or v (or g′
    // without momentum); θ = θ − η·d. Multiplies and adds are separate roundings, in PyTorch's order.
    internal static void Update(Span<float> theta, ReadOnlySpan<float> grad, Span<float> velocity, float learningRate, float momentum, float weightDecay, bool nesterov)
    {
        int n = theta.Length, j = 0;
        bool hasVelocity = !velocity.IsEmpty;
        ref float t = ref MemoryMarshal.GetReference(theta);
        ref float g = ref MemoryMarshal.GetReference(grad);
        ref float v = ref MemoryMarshal.GetReference(velocity);
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<float> eta = Vector512.Create(learningRate), mu = Vector512.Create(momentum), alpha = Vector512.Create(weightDecay);
            for (; j <= n - 16; j += 16)
            {
                Vector512<float> th = Vector512.LoadUnsafe(ref t, (nuint)j), d = Vector512.LoadUnsafe(ref g, (nuint)j);
                if (weightDecay != 0) d += alpha * th;
                if (hasVelocity)
                {
                    Vector512<float> vj = mu * Vector512.LoadUnsafe(ref v, (nuint)j) + d;
                    vj.StoreUnsafe(ref v, (nuint)j);
                    d = nesterov ? d + mu * vj : vj;
                }
                (th - eta * d).StoreUnsafe(ref t, (nuint)j);
            }
        }
        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<float> eta = Vector256.Create(learningRate), mu = Vector256.Create(momentum), alpha = Vector256.Create(weightDecay);
            for (; j <= n - 8; j += 8)
            {
                Vector256<float> th = Vector256.LoadUnsafe(ref t, (nuint)j), d = Vector256.LoadUnsafe(ref g, (nuint)j);
                if (weightDecay != 0) d += alpha * th;
                if (hasVelocity)
                {
                    Vector256<float> vj = mu * Vector256.LoadUnsafe(ref v, (nuint)j) + d;
                    vj.StoreUnsafe(ref v, (nuint)j);
                    d = nesterov ? d + mu * vj : vj;
                }
                (th - eta * d).StoreUnsafe(ref t, (nuint)j);
            }
        }
        for (; j < n; j++)
        {
            float d = Unsafe.Add(ref g, j);
            if (weightDecay != 0) d += weightDecay * Unsafe.Add(ref t, j);
            if (hasVelocity)
            {
                float vj = Unsafe.Add(ref v, j) = momentum * Unsafe.Add(ref v, j) + d;
                d = nesterov ? d + momentum * vj : vj;
            }
            Unsafe.Add(ref t, j) -= learningRate * d;
        }
    }
}
