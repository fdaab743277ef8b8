using Xent.Numerics;

namespace Xent.Layers;

/// <summary>
/// A fully connected layer y = f(x·Wᵀ + b) with W stored [outputs, inputs] (PyTorch's <c>nn.Linear</c> layout)
/// and b [outputs]. Forward and Backward work on whole row-major batches.
/// </summary>
public sealed class Dense
{
    public Dense(int inputs, int outputs, Activation activation = Activation.Identity, string name = "dense")
    {
        if (inputs <= 0) throw new ArgumentOutOfRangeException(nameof(inputs), inputs, "a layer needs at least one input");
        if (outputs <= 0) throw new ArgumentOutOfRangeException(nameof(outputs), outputs, "a layer needs at least one output");
        Inputs = inputs;
        Outputs = outputs;
        Activation = activation;
        Name = name;
        Weight = new Parameter($"{name}.weight", [outputs, inputs]);
        Bias = new Parameter($"{name}.bias", [outputs]);
    }

    public int Inputs { get; }
    public int Outputs { get; }
    public Activation Activation { get; }
    public string Name { get; }

    /// <summary>W [outputs, inputs].</summary>
    public Parameter Weight { get; }

    /// <summary>b [outputs].</summary>
    public Parameter Bias { get; }

    public int ParameterCount => Weight.Length + Bias.Length;

    /// <summary>
    /// He initialisation (normal, std √(2/inputs)) for the ReLU family, Glorot (uniform on ±√(6/(inputs+outputs)))
    /// for the others; biases start at zero.
    /// </summary>
    /// <param name="seed">The seed of the generator the weights are drawn from.</param>
    public void Initialize(long seed) => Initialize(new RandomSource(seed));

    internal void Initialize(RandomSource random)
    {
        Span<float> w = Weight.Value;
        if (Activations.IsReluFamily(Activation))
        {
            double std = Math.Sqrt(2.0 / Inputs);
            for (int i = 0; i < w.Length; i++) w[i] = (float)(std * random.NextGaussian());
        }
        else
        {
            double limit = Math.Sqrt(6.0 / (Inputs + Outputs));
            for (int i = 0; i < w.Length; i++) w[i] = (float)((2 * random.NextDouble() - 1) * limit);
        }
        Bias.Value.AsSpan().Clear();
    }

    // input [batch, inputs] -> preActivation z [batch, outputs], output y = f(z) [batch, outputs]
    public void Forward(ReadOnlySpan<float> input, int batch, Span<float> preActivation, Span<float> output)
    {
        int n = batch * Outputs;
        Span<float> z = preActivation[..n];
        // z = b on every row, then z += x·Wᵀ: the bias rides in the product's accumulator instead of a second pass.
        RowOps.Broadcast(Bias.Value, z, batch);
        MatMul.MultiplyTransposeB(input, Weight.Value, z, batch, Inputs, Outputs, accumulate: true);
        Activations.Forward(Activation, z, output[..n]);
    }

    // outputGrad [batch, outputs] -> inputGrad [batch, inputs] (skipped when empty); adds into Weight.Gradient and Bias.Gradient
    // (or, with accumulate false, writes them: no need to clear them first). preActivationGrad [batch, outputs] is scratch and
    // may alias outputGrad.
    public void Backward(ReadOnlySpan<float> input, ReadOnlySpan<float> preActivation, ReadOnlySpan<float> output,
        ReadOnlySpan<float> outputGrad, int batch, Span<float> preActivationGrad, Span<float> inputGrad, bool accumulate = true)
    {
        int n = batch * Outputs;
        // dL/dz = dL/dy · f′(z); for the identity that is dL/dy itself, used in place rather than copied.
        ReadOnlySpan<float> zGrad;
        if (Activation == Activation.Identity) zGrad = outputGrad[..n];
        else
        {
            Activations.Backward(Activation, preActivation[..n], output[..n], outputGrad[..n], preActivationGrad[..n]);
            zGrad = preActivationGrad[..n];
        }
        // dL/dW += (dL/dz)ᵀ · x      [outputs, batch]·[batch, inputs]
        MatMul.MultiplyTransposeA(zGrad, input, Weight.Gradient, Outputs, batch, Inputs, accumulate);
        // dL/db += Σ over rows of dL/dz
        if (!accumulate) Bias.Gradient.AsSpan().Clear();
        RowOps.AddColumnSums(zGrad, batch, Bias.Gradient);
        // dL/dx = dL/dz · W          [batch, outputs]·[outputs, inputs]
        if (!inputGrad.IsEmpty) MatMul.Multiply(zGrad, Weight.Value, inputGrad, batch, Outputs, Inputs);
    }

    public override string ToString() =>
        Activation == Activation.Identity ? $"Dense({Inputs} => {Outputs})" : $"Dense({Inputs} => {Outputs}, {Activation})";
}
