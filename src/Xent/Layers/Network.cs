using System.Numerics.Tensors;
using Xent.Numerics;

namespace Xent.Layers;

/// <summary>
/// A sequence of <see cref="Dense"/> layers whose last layer produces logits (raw outputs, never probabilities).
/// The network owns its activation buffers, sized once for the largest batch seen, so repeated Forward and
/// Backward calls on the same batch shape allocate nothing.
/// </summary>
public sealed class Network
{
    private readonly Dense[] _layers;
    private readonly Parameter[] _parameters;
    private int _capacity;
    // 64-byte aligned (AlignedMemory): the kernels' vector loads along rows whose width is a multiple of 16 floats never
    // straddle two cache lines.
    private Memory<float>[] _preActivations = [];
    private Memory<float>[] _outputs = [];
    private Memory<float>[] _gradients = [];
    private Memory<float> _scratch;

    /// <summary>A network of the given layers, applied in order; each layer's inputs must equal the previous layer's outputs.</summary>
    /// <param name="layers">At least one layer, with distinct names; the last one's outputs are the logits.</param>
    /// <exception cref="ArgumentException">No layers, sizes that do not chain, or a repeated name.</exception>
    public Network(params Dense[] layers)
    {
        if (layers.Length == 0) throw new ArgumentException("a network needs at least one layer", nameof(layers));
        for (int i = 1; i < layers.Length; i++)
            if (layers[i].Inputs != layers[i - 1].Outputs)
                throw new ArgumentException($"layer {i} takes {layers[i].Inputs} inputs but layer {i - 1} gives {layers[i - 1].Outputs}", nameof(layers));
        if (layers.Select(l => l.Name).Distinct().Count() != layers.Length)
            throw new ArgumentException("layer names must be distinct", nameof(layers));
        _layers = layers;
        _parameters = layers.SelectMany(l => new[] { l.Weight, l.Bias }).ToArray();
    }

    /// <summary>
    /// A multilayer perceptron <c>inputs → hidden[0] → … → classes</c>: hidden layers named hidden1, hidden2, …
    /// with <paramref name="activation"/>, an output layer named output with no activation, initialised from
    /// <paramref name="seed"/>.
    /// </summary>
    /// <param name="inputs">The number of features.</param>
    /// <param name="hidden">The width of each hidden layer; empty for a linear softmax classifier.</param>
    /// <param name="classes">The number of classes (outputs).</param>
    /// <param name="activation">The hidden layers' nonlinearity.</param>
    /// <param name="seed">The seed of the weight initialisation.</param>
    /// <returns>The initialised network.</returns>
    public static Network CreateClassifier(int inputs, IReadOnlyList<int> hidden, int classes, Activation activation = Activation.Relu, long seed = 0)
    {
        var layers = new List<Dense>();
        int previous = inputs;
        for (int i = 0; i < hidden.Count; i++)
        {
            layers.Add(new Dense(previous, hidden[i], activation, $"hidden{i + 1}"));
            previous = hidden[i];
        }
        layers.Add(new Dense(previous, classes, Activation.Identity, "output"));
        var network = new Network(layers.ToArray());
        network.Initialize(new RandomSource(seed));
        return network;
    }

    /// <summary>The layers, input first.</summary>
    public IReadOnlyList<Dense> Layers => _layers;
    /// <summary>Every trainable tensor: each layer's weight then its bias, input layer first (the order optimizers and model files use).</summary>
    public IReadOnlyList<Parameter> Parameters => _parameters;
    /// <summary>The number of features the first layer takes.</summary>
    public int InputCount => _layers[0].Inputs;
    /// <summary>The number of logits the last layer gives.</summary>
    public int ClassCount => _layers[^1].Outputs;
    /// <summary>The number of trainable scalars (weights and biases).</summary>
    public int ParameterCount => _layers.Sum(l => l.ParameterCount);

    /// <summary>
    /// Draws every layer's weights afresh from <paramref name="seed"/> (He or Glorot by activation, as
    /// <see cref="Dense.Initialize(long)"/>) and zeroes the biases; the same seed gives the same weights on every machine.
    /// </summary>
    /// <param name="seed">The seed of the generator; the layers draw from it in order.</param>
    public void Initialize(long seed) => Initialize(new RandomSource(seed));

    internal void Initialize(RandomSource random)
    {
        foreach (Dense layer in _layers) layer.Initialize(random);
    }

    /// <summary>The parameter of that name, e.g. <c>hidden1.weight</c>.</summary>
    /// <param name="name">The parameter's name: the layer's name, then <c>.weight</c> or <c>.bias</c>.</param>
    /// <returns>The parameter (its values and gradient are live).</returns>
    /// <exception cref="KeyNotFoundException">No parameter has that name; the message lists them.</exception>
    public Parameter GetParameter(string name) =>
        _parameters.FirstOrDefault(p => p.Name == name) ?? throw new KeyNotFoundException($"no parameter named '{name}'; the network has {string.Join(", ", _parameters.Select(p => p.Name))}");

    /// <summary>Grows the activation buffers to hold <paramref name="batch"/> rows; smaller batches reuse them.</summary>
    /// <param name="batch">The number of rows the next Forward and Backward will take.</param>
    public void EnsureCapacity(int batch)
    {
        // The growth lives in its own method: its lambdas capture batch, and a captured parameter makes C# allocate
        // the closure on entry to the method that declares it, even on the early return.
        if (batch > _capacity) Grow(batch);
    }

    private void Grow(int batch)
    {
        _preActivations = _layers.Select(l => AlignedMemory.Allocate(batch * l.Outputs)).ToArray();
        _outputs = _layers.Select(l => AlignedMemory.Allocate(batch * l.Outputs)).ToArray();
        _gradients = _layers.Select(l => AlignedMemory.Allocate(batch * l.Outputs)).ToArray();
        _scratch = AlignedMemory.Allocate(batch * _layers.Max(l => Math.Max(l.Inputs, l.Outputs)));
        _capacity = batch;
    }

    // input [batch, inputs] -> logits [batch, classes]; the span is the network's own buffer, valid until the next Forward.
    // The training forward pass: it keeps every layer's activations for Backward, so one thread at a time (predict with Infer).
    /// <summary>The training forward pass: keeps every layer's pre-activation and activation for <see cref="Backward"/>, so one thread at a time (predict with <see cref="Infer"/>).</summary>
    /// <param name="input">Row-major [batch, <see cref="InputCount"/>] features.</param>
    /// <param name="batch">The number of rows.</param>
    /// <returns>The logits [batch, <see cref="ClassCount"/>]: the network's own buffer, valid until the next Forward.</returns>
    public ReadOnlySpan<float> Forward(ReadOnlySpan<float> input, int batch)
    {
        if (batch < 0) throw new ArgumentOutOfRangeException(nameof(batch));
        if (input.Length < batch * InputCount) throw new ArgumentException($"needs {batch * InputCount} values for {batch} rows of {InputCount} features, has {input.Length}", nameof(input));
        EnsureCapacity(Math.Max(batch, 1));
        ReadOnlySpan<float> x = input[..(batch * InputCount)];
        for (int i = 0; i < _layers.Length; i++)
        {
            _layers[i].Forward(x, batch, _preActivations[i].Span, _outputs[i].Span);
            x = _outputs[i].Span[..(batch * _layers[i].Outputs)];
        }
        return x;
    }

    /// <summary>The activation y of layer <paramref name="index"/> from the last Forward, [batch, outputs].</summary>
    /// <param name="index">The layer, 0 for the first.</param>
    /// <param name="batch">The batch size of the last Forward.</param>
    /// <returns>A view of the network's buffer.</returns>
    public ReadOnlySpan<float> LayerOutput(int index, int batch) => _outputs[index].Span[..(batch * _layers[index].Outputs)];

    /// <summary>The pre-activation z of layer <paramref name="index"/> from the last Forward, [batch, outputs].</summary>
    /// <param name="index">The layer, 0 for the first.</param>
    /// <param name="batch">The batch size of the last Forward.</param>
    /// <returns>A view of the network's buffer.</returns>
    public ReadOnlySpan<float> LayerPreActivation(int index, int batch) => _preActivations[index].Span[..(batch * _layers[index].Outputs)];

    // input [batch, inputs] (the one given to the last Forward), logitsGrad [batch, classes] -> adds into every parameter's gradient
    // (with accumulate false, writes them instead, so that a training step needs no ZeroGrad pass first)
    /// <summary>Backpropagates ∂L/∂logits through every layer into each parameter's <see cref="Parameter.Gradient"/>.</summary>
    /// <param name="input">The [batch, InputCount] features given to the last <see cref="Forward"/>.</param>
    /// <param name="logitsGrad">∂L/∂logits, [batch, ClassCount].</param>
    /// <param name="batch">The number of rows of the last Forward.</param>
    /// <param name="accumulate">True to add into the gradients; false to overwrite them (no <see cref="ZeroGrad"/> needed first).</param>
    public void Backward(ReadOnlySpan<float> input, ReadOnlySpan<float> logitsGrad, int batch, bool accumulate = true)
    {
        if (batch > _capacity) throw new InvalidOperationException("Backward needs a Forward of the same batch first");
        ReadOnlySpan<float> outputGrad = logitsGrad[..(batch * ClassCount)];
        for (int i = _layers.Length - 1; i >= 0; i--)
        {
            Dense layer = _layers[i];
            ReadOnlySpan<float> layerInput = i == 0 ? input : _outputs[i - 1].Span[..(batch * layer.Inputs)];
            // The input gradient of layer i is the output gradient of layer i − 1; the first layer has none to give.
            Span<float> inputGrad = i == 0 ? Span<float>.Empty : _gradients[i - 1].Span[..(batch * layer.Inputs)];
            layer.Backward(layerInput, _preActivations[i].Span, _outputs[i].Span, outputGrad, batch, _scratch.Span, inputGrad, accumulate);
            if (i > 0) outputGrad = _gradients[i - 1].Span[..(batch * layer.Inputs)];
        }
    }

    /// <summary>Sets every parameter's gradient to zero.</summary>
    public void ZeroGrad()
    {
        foreach (Parameter p in _parameters) p.Gradient.Clear();
    }

    // input [batch, inputs] -> logits [batch, classes]
    /// <summary>
    /// The forward pass for prediction. Unlike <see cref="Forward"/> it touches none of the network's training buffers:
    /// each call borrows its own scratch, so any number of threads may predict with one network at once (as long as no
    /// thread trains it at the same time).
    /// </summary>
    /// <param name="input">Row-major [batch, InputCount] features.</param>
    /// <param name="batch">The number of rows.</param>
    /// <param name="logits">Receives [batch, ClassCount] logits.</param>
    public void Infer(ReadOnlySpan<float> input, int batch, Span<float> logits)
    {
        if (batch < 0) throw new ArgumentOutOfRangeException(nameof(batch));
        if (input.Length < (long)batch * InputCount) throw new ArgumentException($"needs {(long)batch * InputCount} values for {batch} rows of {InputCount} features, has {input.Length}", nameof(input));
        if (logits.Length < (long)batch * ClassCount) throw new ArgumentException($"needs room for {(long)batch * ClassCount} logits, has {logits.Length}", nameof(logits));
        // A single spare workspace serves the common one-thread case without allocating; concurrent callers make their own.
        InferenceScratch scratch = Interlocked.Exchange(ref _spareScratch, null) ?? new InferenceScratch(_layers);
        for (int start = 0; start < batch; start += InferenceScratch.Rows)
        {
            int rows = Math.Min(InferenceScratch.Rows, batch - start);
            ReadOnlySpan<float> x = input.Slice(start * InputCount, rows * InputCount);
            for (int i = 0; i < _layers.Length; i++)
            {
                Dense layer = _layers[i];
                int n = rows * layer.Outputs;
                Span<float> y = i == _layers.Length - 1 ? logits.Slice(start * ClassCount, n) : (i % 2 == 0 ? scratch.Even : scratch.Odd).AsSpan(0, n);
                layer.Forward(x, rows, scratch.PreActivation.AsSpan(0, n), y);
                x = y;
            }
        }
        _spareScratch = scratch;
    }

    private InferenceScratch? _spareScratch;

    /// <summary>Buffers for <see cref="Infer"/>: a block of rows through the widest layer.</summary>
    private sealed class InferenceScratch(Dense[] layers)
    {
        public const int Rows = 256;
        private static int Widest(Dense[] layers) => layers.Max(l => l.Outputs);
        public readonly float[] PreActivation = new float[Rows * Widest(layers)];
        public readonly float[] Even = new float[Rows * Widest(layers)];
        public readonly float[] Odd = new float[Rows * Widest(layers)];
    }

    // input [batch, inputs] -> probabilities [batch, classes]; safe to call from several threads at once (see Infer)
    /// <summary>The softmax of <see cref="Infer"/>'s logits; thread-safe as Infer.</summary>
    /// <param name="input">Row-major [batch, InputCount] features.</param>
    /// <param name="batch">The number of rows.</param>
    /// <param name="probabilities">Receives [batch, ClassCount] probabilities, each row summing to 1.</param>
    public void PredictProbabilities(ReadOnlySpan<float> input, int batch, Span<float> probabilities)
    {
        Infer(input, batch, probabilities);
        Softmax.Rows(probabilities[..(batch * ClassCount)], batch, ClassCount, probabilities);
    }

    // input [batch, inputs] -> classes [batch] (argmax of the logits, which is the argmax of the probabilities); thread-safe as Infer
    /// <summary>The argmax of each row's logits (the argmax of its probabilities); thread-safe as <see cref="Infer"/>.</summary>
    /// <param name="input">Row-major [batch, InputCount] features.</param>
    /// <param name="batch">The number of rows.</param>
    /// <param name="classes">Receives [batch] class indices.</param>
    public void Predict(ReadOnlySpan<float> input, int batch, Span<int> classes)
    {
        float[] logits = new float[batch * ClassCount];
        Infer(input, batch, logits);
        for (int r = 0; r < batch; r++) classes[r] = TensorPrimitives.IndexOfMax<float>(logits.AsSpan(r * ClassCount, ClassCount));
    }

    /// <summary>A deep copy of the architecture and the current parameter values.</summary>
    /// <returns>A new network with its own buffers.</returns>
    public Network Clone()
    {
        var copy = new Network(_layers.Select(l => new Dense(l.Inputs, l.Outputs, l.Activation, l.Name)).ToArray());
        for (int i = 0; i < _parameters.Length; i++) _parameters[i].Value.CopyTo(copy._parameters[i].Value);
        return copy;
    }

    /// <summary>Copies parameter values from a network of the same architecture.</summary>
    /// <param name="other">A network with the same layer sizes.</param>
    public void CopyParametersFrom(Network other)
    {
        if (other._parameters.Length != _parameters.Length) throw new ArgumentException("architectures differ", nameof(other));
        for (int i = 0; i < _parameters.Length; i++)
        {
            if (other._parameters[i].Length != _parameters[i].Length) throw new ArgumentException("architectures differ", nameof(other));
            other._parameters[i].Value.CopyTo(_parameters[i].Value);
        }
    }

    /// <summary>Reads like <c>Dense(4 => 16, Relu) → Dense(16 => 3)  [131 parameters]</c>.</summary>
    /// <returns>One line: each layer, then the parameter count.</returns>
    public override string ToString() =>
        $"{string.Join(" → ", _layers.Select(l => l.ToString()))}  [{ParameterCount} parameters]";
}
