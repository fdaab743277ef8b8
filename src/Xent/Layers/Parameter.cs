using Xent.Numerics;

namespace Xent.Layers;

/// <summary>
/// A named trainable tensor (row-major) with its gradient buffer of the same length.
/// Names follow the layer that owns it: <c>hidden1.weight</c>, <c>output.bias</c>.
/// </summary>
public sealed class Parameter
{
    /// <summary>A parameter of zeros with a gradient of zeros.</summary>
    /// <param name="name">Its name, unique within a network.</param>
    /// <param name="shape">Its dimensions, each positive (e.g. [outputs, inputs] for a weight).</param>
    /// <exception cref="ArgumentException">The name is blank or a dimension is not positive.</exception>
    public Parameter(string name, int[] shape)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (shape.Length == 0 || shape.Any(d => d <= 0)) throw new ArgumentException("every dimension must be positive", nameof(shape));
        Name = name;
        Shape = shape;
        Length = shape.Aggregate(1, (a, b) => checked(a * b));
        _value = AlignedMemory.Allocate(Length);
        _gradient = AlignedMemory.Allocate(Length);
    }

    private readonly Memory<float> _value, _gradient;

    /// <summary>The name the model file stores the values under.</summary>
    public string Name { get; }
    /// <summary>The dimensions; the values are row-major.</summary>
    public int[] Shape { get; }
    /// <summary>The values, row-major, starting on a 64-byte boundary (so that the kernels' vector loads along rows whose width is a multiple of 16 never straddle two cache lines); optimizers update them in place.</summary>
    public Span<float> Value => _value.Span;
    /// <summary>∂L/∂Value, the same length as <see cref="Value"/> and aligned alike; backward passes write or add into it.</summary>
    public Span<float> Gradient => _gradient.Span;
    /// <summary>The buffer behind <see cref="Value"/>, for kernels that keep hold of it.</summary>
    internal Memory<float> ValueMemory => _value;
    /// <summary>The buffer behind <see cref="Gradient"/>.</summary>
    internal Memory<float> GradientMemory => _gradient;
    /// <summary>The number of scalars: the product of <see cref="Shape"/>.</summary>
    public int Length { get; }

    /// <summary>Reads like <c>hidden1.weight [16, 4]</c>.</summary>
    /// <returns>The name and shape.</returns>
    public override string ToString() => $"{Name} [{string.Join(", ", Shape)}]";
}
