using Xent.Numerics;

namespace Xent.Layers;

/// <summary>
/// A fully connected layer y = f(x·Wᵀ + b) with W stored [outputs, inputs] (PyTorch's <c>nn.Linear</c> layout)
/// and b [outputs]. Forward and Backward work on whole row-major batches.
/// </summary>
public sealed class Dense
{
    /// <summary>A layer y = f(x·Wᵀ + b) with zero weights (call <see cref="Initialize(long)"/> or set them).</summary>
    /// <param name="inputs">The width of x.</param>
    /// <param name="outputs">The width of y (the number of units).</param>
    /// <param name="activation">The nonlinearity f; <see cref="Activation.Identity"/> for logits.</param>
    /// <param name="name">The prefix of the parameters' names (<c>name.weight</c>, <c>name.bias</c>).</param>
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

    /// <summary>The width of the layer's input.</summary>
    public int Inputs { get; }
    /// <summary>The number of units: the width of the output.</summary>
    public int Outputs { get; }
    /// <summary>The nonlinearity applied after the affine map.</summary>
    public Activation Activation { get; }
    /// <summary>The layer's name, the prefix of its parameters' names.</summary>
    public string Name { get; }

    /// <summary>W [outputs, inputs].</summary>
    public Parameter Weight { get; }

    /// <summary>b [outputs].</summary>
    public Parameter Bias { get; }

    /// <summary>outputs × inputs + outputs.</summary>
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
        Bias.Value.Clear();
    }

    // input [batch, inputs] -> preActivation z [batch, outputs], output y = f(z) [batch, outputs]
    /// <summary>z = x·Wᵀ + b and y = f(z) for a batch of rows.</summary>
    /// <param name="input">x, row-major [batch, Inputs].</param>
    /// <param name="batch">The number of rows.</param>
    /// <param name="preActivation">Receives z, [batch, Outputs].</param>
    /// <param name="output">Receives y, [batch, Outputs]; may be <paramref name="preActivation"/> for the identity.</param>
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
    /// <summary>From ∂L/∂y: ∂L/∂W += (∂L/∂z)ᵀ·x, ∂L/∂b += Σrows ∂L/∂z and ∂L/∂x = ∂L/∂z·W, where ∂L/∂z = ∂L/∂y·f′(z).</summary>
    /// <param name="input">x of the forward pass, [batch, Inputs].</param>
    /// <param name="preActivation">z of the forward pass, [batch, Outputs].</param>
    /// <param name="output">y of the forward pass, [batch, Outputs].</param>
    /// <param name="outputGrad">∂L/∂y, [batch, Outputs].</param>
    /// <param name="batch">The number of rows.</param>
    /// <param name="preActivationGrad">Scratch for ∂L/∂z, [batch, Outputs]; may alias <paramref name="outputGrad"/>.</param>
    /// <param name="inputGrad">Receives ∂L/∂x, [batch, Inputs]; empty to skip it (the first layer).</param>
    /// <param name="accumulate">True to add into the parameters' gradients, false to overwrite them.</param>
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
        if (!accumulate) Bias.Gradient.Clear();
        RowOps.AddColumnSums(zGrad, batch, Bias.Gradient);
        // dL/dx = dL/dz · W          [batch, outputs]·[outputs, inputs]
        if (!inputGrad.IsEmpty) MatMul.Multiply(zGrad, Weight.Value, inputGrad, batch, Outputs, Inputs);
    }

    /// <summary>Reads like <c>Dense(4 => 16, Relu)</c>.</summary>
    /// <returns>The layer's sizes and activation.</returns>
    public override string ToString() =>
        Activation == Activation.Identity ? $"Dense({Inputs} => {Outputs})" : $"Dense({Inputs} => {Outputs}, {Activation})";
}
