namespace Xent.Layers;

/// <summary>
/// A named trainable tensor (row-major) with its gradient buffer of the same length.
/// Names follow the layer that owns it: <c>hidden1.weight</c>, <c>output.bias</c>.
/// </summary>
public sealed class Parameter
{
    public Parameter(string name, int[] shape)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (shape.Length == 0 || shape.Any(d => d <= 0)) throw new ArgumentException("every dimension must be positive", nameof(shape));
        Name = name;
        Shape = shape;
        int length = shape.Aggregate(1, (a, b) => checked(a * b));
        Value = new float[length];
        Gradient = new float[length];
    }

    public string Name { get; }
    public int[] Shape { get; }
    public float[] Value { get; }
    public float[] Gradient { get; }
    public int Length => Value.Length;

    public override string ToString() => $"{Name} [{string.Join(", ", Shape)}]";
}
