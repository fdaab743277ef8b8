using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Xent.Layers;
using Xent.Numerics;

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

    /// <summary>SGD over the given parameters, with zeroed velocity buffers.</summary>
    /// <param name="parameters">The parameters it updates, e.g. <see cref="Layers.Network.Parameters"/>.</param>
    /// <param name="learningRate">η, positive.</param>
    /// <param name="momentum">μ in [0, 1); 0 for plain gradient descent.</param>
    /// <param name="nesterov">True for Nesterov momentum (needs μ &gt; 0).</param>
    /// <param name="weightDecay">The L2 coefficient α, non-negative.</param>
    /// <exception cref="ArgumentOutOfRangeException">A coefficient is out of its range.</exception>
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

    /// <inheritdoc/>
    public float LearningRate { get; set; }
    /// <summary>μ, the momentum coefficient.</summary>
    public float Momentum { get; }
    /// <summary>Whether the step uses Nesterov momentum.</summary>
    public bool Nesterov { get; }
    /// <summary>α, the L2 coefficient.</summary>
    public float WeightDecay { get; }
    /// <inheritdoc/>
    public long StepCount { get; set; }
    /// <inheritdoc/>
    public IReadOnlyList<(string Name, float[] Buffer)> State { get; }

    /// <inheritdoc/>
    public void Step()
    {
        StepCount++;
        _update.Run();
    }

    private void UpdateSlice(int index, int start, int count)
    {
        Span<float> velocity = Momentum > 0 ? _velocity[index].AsSpan(start, count) : default;
        Update(_parameters[index].Value.Slice(start, count), _parameters[index].Gradient.Slice(start, count), velocity,
            LearningRate, Momentum, WeightDecay, Nesterov);
    }

    // θ, g, v [n] (v empty without momentum), one pass: g′ = g + α·θ; v = μ·v + g′; d = g′ + μ·v (Nesterov) or v (or g′
    // without momentum); θ = θ − η·d. Multiplies and adds are separate roundings, in PyTorch's order.
    internal static void Update(Span<float> theta, ReadOnlySpan<float> grad, Span<float> velocity, float learningRate, float momentum, float weightDecay, bool nesterov)
    {
        if (velocity.IsEmpty) Elementwise.Run(new PlainStep(learningRate, weightDecay), theta.Length, theta, Elementwise.ReadOnly(grad));
        else Elementwise.Run(new MomentumStep(learningRate, momentum, weightDecay, nesterov), theta.Length, theta, Elementwise.ReadOnly(grad), velocity);
    }

    // Streams θ (read, written) and g: g′ = g + α·θ (only when α ≠ 0, so an infinite θ with α = 0 stays out of it); θ = θ − η·g′.
    private readonly struct PlainStep(float learningRate, float weightDecay) : IElementwiseOperator
    {
        public static int Reads => 0b0011;
        public static int Writes => 0b0001;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]

        public void Invoke(ref float theta, ref float grad, ref float unused2, ref float unused3) =>
            theta -= learningRate * (weightDecay != 0 ? grad + weightDecay * theta : grad);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Invoke(ref Vector128<float> theta, ref Vector128<float> grad, ref Vector128<float> unused2, ref Vector128<float> unused3) =>
            theta -= Vector128.Create(learningRate) * (weightDecay != 0 ? grad + Vector128.Create(weightDecay) * theta : grad);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Invoke(ref Vector256<float> theta, ref Vector256<float> grad, ref Vector256<float> unused2, ref Vector256<float> unused3) =>
            theta -= Vector256.Create(learningRate) * (weightDecay != 0 ? grad + Vector256.Create(weightDecay) * theta : grad);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Invoke(ref Vector512<float> theta, ref Vector512<float> grad, ref Vector512<float> unused2, ref Vector512<float> unused3) =>
            theta -= Vector512.Create(learningRate) * (weightDecay != 0 ? grad + Vector512.Create(weightDecay) * theta : grad);
    }

    // Streams θ (read, written), g and v (read, written): g′ as above; v = μ·v + g′; θ = θ − η·(Nesterov ? g′ + μ·v : v).
    private readonly struct MomentumStep(float learningRate, float momentum, float weightDecay, bool nesterov) : IElementwiseOperator
    {
        public static int Reads => 0b0111;
        public static int Writes => 0b0101;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]

        public void Invoke(ref float theta, ref float grad, ref float velocity, ref float unused3)
        {
            float d = weightDecay != 0 ? grad + weightDecay * theta : grad;
            velocity = momentum * velocity + d;
            theta -= learningRate * (nesterov ? d + momentum * velocity : velocity);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]

        public void Invoke(ref Vector128<float> theta, ref Vector128<float> grad, ref Vector128<float> velocity, ref Vector128<float> unused3)
        {
            Vector128<float> d = weightDecay != 0 ? grad + Vector128.Create(weightDecay) * theta : grad, mu = Vector128.Create(momentum);
            velocity = mu * velocity + d;
            theta -= Vector128.Create(learningRate) * (nesterov ? d + mu * velocity : velocity);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]

        public void Invoke(ref Vector256<float> theta, ref Vector256<float> grad, ref Vector256<float> velocity, ref Vector256<float> unused3)
        {
            Vector256<float> d = weightDecay != 0 ? grad + Vector256.Create(weightDecay) * theta : grad, mu = Vector256.Create(momentum);
            velocity = mu * velocity + d;
            theta -= Vector256.Create(learningRate) * (nesterov ? d + mu * velocity : velocity);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]

        public void Invoke(ref Vector512<float> theta, ref Vector512<float> grad, ref Vector512<float> velocity, ref Vector512<float> unused3)
        {
            Vector512<float> d = weightDecay != 0 ? grad + Vector512.Create(weightDecay) * theta : grad, mu = Vector512.Create(momentum);
            velocity = mu * velocity + d;
            theta -= Vector512.Create(learningRate) * (nesterov ? d + mu * velocity : velocity);
        }
    }
}
