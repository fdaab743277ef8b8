using Xent.Layers;
using Xent.Losses;
using Xent.Numerics;

namespace Xent.Explain;

/// <summary>One training row of the worked example.</summary>
/// <param name="PetalWidth">The first input (scaled petal width).</param>
/// <param name="SepalWidth">The second input (scaled sepal width).</param>
/// <param name="Species">The observed species' index into <see cref="WorkedExample.Species"/>.</param>
public sealed record ExampleSample(float PetalWidth, float SepalWidth, int Species);

/// <summary>Where a named parameter of the worked example lives in the network.</summary>
/// <param name="Name">The walkthrough's name: w1 … w10, b1 … b5.</param>
/// <param name="Layer">0 for the hidden layer, 1 for the output layer.</param>
/// <param name="IsBias">Whether it is a bias (else a weight).</param>
/// <param name="Row">The unit (output index) it belongs to.</param>
/// <param name="Column">The input it multiplies (0 for a bias).</param>
public sealed record ParameterLocation(string Name, int Layer, bool IsBias, int Row, int Column)
{
    /// <summary>The index into the layer's weight (row-major [outputs, inputs]) or bias buffer.</summary>
    /// <param name="inputs">The layer's number of inputs.</param>
    /// <returns>The index into <see cref="Layers.Parameter.Value"/> of the weight or the bias.</returns>
    public int Index(int inputs) => IsBias ? Row : Row * inputs + Column;
}

/// <summary>
/// The classic Iris walkthrough's network, fixed rather than trained: inputs petal width and sepal width, two ReLU hidden
/// nodes (upper, lower), three raw outputs (setosa, versicolor, virginica) and a softmax. It is an ordinary Xent
/// <see cref="Network"/>: <c>hidden</c> = Dense(2 => 2, Relu) with W = [[w1, w2], [w3, w4]] and b = [b1, b2], and
/// <c>output</c> = Dense(2 => 3) with W = [[w5, w6], [w7, w8], [w9, w10]] and b = [b3, b4, b5]. Every number the
/// explanation prints comes from that network's own Forward and Backward and from <see cref="SoftmaxCrossEntropy"/>.
/// </summary>
public sealed class WorkedExample
{
    /// <summary>The three output classes, in output order.</summary>
    public static readonly IReadOnlyList<string> Species = ["setosa", "versicolor", "virginica"];
    /// <summary>The hidden nodes' names, in order.</summary>
    public static readonly IReadOnlyList<string> HiddenNames = ["upper", "lower"];

    /// <summary>The three training rows of the walkthrough, one per species.</summary>
    public static readonly IReadOnlyList<ExampleSample> Samples =
    [
        new(0.04f, 0.42f, 0),
        new(1.00f, 0.54f, 2),
        new(0.50f, 0.37f, 1),
    ];

    /// <summary>The 15 parameters in walkthrough order with their starting values.</summary>
    public static readonly IReadOnlyList<(string Name, float Value)> Defaults =
    [
        ("w1", -2.5f), ("w2", 0.6f), ("b1", 1.6f),
        ("w3", -1.5f), ("w4", 0.4f), ("b2", 0.7f),
        ("w5", -0.1f), ("w6", 1.5f), ("b3", 0f),
        ("w7", 2.4f), ("w8", -5.2f), ("b4", 0f),
        ("w9", -2.2f), ("w10", 3.7f), ("b5", 1f),
    ];

    /// <summary>Each parameter name (any case) to where it lives in <see cref="Network"/>.</summary>
    public static readonly IReadOnlyDictionary<string, ParameterLocation> Locations = new Dictionary<string, ParameterLocation>(StringComparer.OrdinalIgnoreCase)
    {
        ["w1"] = new("w1", 0, false, 0, 0),
        ["w2"] = new("w2", 0, false, 0, 1),
        ["b1"] = new("b1", 0, true, 0, 0),
        ["w3"] = new("w3", 0, false, 1, 0),
        ["w4"] = new("w4", 0, false, 1, 1),
        ["b2"] = new("b2", 0, true, 1, 0),
        ["w5"] = new("w5", 1, false, 0, 0),
        ["w6"] = new("w6", 1, false, 0, 1),
        ["b3"] = new("b3", 1, true, 0, 0),
        ["w7"] = new("w7", 1, false, 1, 0),
        ["w8"] = new("w8", 1, false, 1, 1),
        ["b4"] = new("b4", 1, true, 1, 0),
        ["w9"] = new("w9", 1, false, 2, 0),
        ["w10"] = new("w10", 1, false, 2, 1),
        ["b5"] = new("b5", 1, true, 2, 0),
    };

    private readonly float[] _inputs;
    private readonly int[] _targets;
    private readonly SoftmaxCrossEntropy _sum = new(new CrossEntropyOptions { Reduction = Reduction.Sum });
    private readonly float[] _logitsGrad = new float[3 * 3];

    /// <summary>The example with every parameter at its value in <see cref="Defaults"/>.</summary>
    public WorkedExample()
    {
        Network = new Network(new Dense(2, 2, Activation.Relu, "hidden"), new Dense(2, 3, Activation.Identity, "output"));
        foreach ((string name, float value) in Defaults) Set(name, value);
        _inputs = Samples.SelectMany(s => new[] { s.PetalWidth, s.SepalWidth }).ToArray();
        _targets = Samples.Select(s => s.Species).ToArray();
    }

    /// <summary>The network: Dense(2 => 2, Relu) named hidden, then Dense(2 => 3) named output.</summary>
    public Network Network { get; }

    /// <param name="name">A parameter name, any case.</param>
    /// <returns>Where the parameter lives.</returns>
    /// <exception cref="ArgumentException">No parameter has that name; the message lists them.</exception>
    /// <summary>Where the parameter of that name lives.</summary>
    public static ParameterLocation Locate(string name) =>
        Locations.TryGetValue(name, out ParameterLocation? l) ? l : throw new ArgumentException($"no parameter '{name}'; the example has {string.Join(", ", Defaults.Select(d => d.Name))}", nameof(name));

    private Parameter Buffer(ParameterLocation l) => l.IsBias ? Network.Layers[l.Layer].Bias : Network.Layers[l.Layer].Weight;

    /// <summary>A parameter's current value.</summary>
    /// <param name="name">A parameter name, any case.</param>
    /// <returns>The value in the network.</returns>
    public float Get(string name) { ParameterLocation l = Locate(name); return Buffer(l).Value[l.Index(Network.Layers[l.Layer].Inputs)]; }

    /// <summary>Sets a parameter's value in the network.</summary>
    /// <param name="name">A parameter name, any case.</param>
    /// <param name="value">The new value.</param>
    public void Set(string name, float value) { ParameterLocation l = Locate(name); Buffer(l).Value[l.Index(Network.Layers[l.Layer].Inputs)] = value; }

    /// <summary>The forward pass of one sample: hidden values, raw outputs, probabilities, −ln p of the observed species.</summary>
    /// <param name="Sample">The sample.</param>
    /// <param name="PreActivation">The hidden nodes' z = W·x + b.</param>
    /// <param name="Hidden">The hidden nodes' ReLU(z).</param>
    /// <param name="Raw">The three raw outputs (logits).</param>
    /// <param name="Probabilities">The softmax of the raw outputs.</param>
    /// <param name="CrossEntropy">−ln p of the observed species.</param>
    public sealed record SampleForward(ExampleSample Sample, float[] PreActivation, float[] Hidden, float[] Raw, float[] Probabilities, double CrossEntropy)
    {
        /// <summary>p of the observed species.</summary>
        public double ObservedProbability => Probabilities[Sample.Species];
        /// <summary>(1 − p observed)², the squared residual that cross entropy is compared with.</summary>
        public double SquaredResidual => Math.Pow(1 - ObservedProbability, 2);
    }

    /// <summary>The forward pass of every sample with the current parameter values.</summary>
    /// <returns>One record per sample, in <see cref="Samples"/> order.</returns>
    public IReadOnlyList<SampleForward> Forward()
    {
        ReadOnlySpan<float> logits = Network.Forward(_inputs, Samples.Count);
        float[] raw = logits.ToArray();
        float[] hidden = Network.LayerOutput(0, Samples.Count).ToArray();
        float[] z = Network.LayerPreActivation(0, Samples.Count).ToArray();
        var p = new float[raw.Length];
        Softmax.Rows(raw, Samples.Count, 3, p);
        var rowLosses = new float[Samples.Count];
        _sum.Forward(raw, _targets, Samples.Count, 3, rowLosses);
        return Samples.Select((s, i) => new SampleForward(s, z[(i * 2)..(i * 2 + 2)], hidden[(i * 2)..(i * 2 + 2)], raw[(i * 3)..(i * 3 + 3)], p[(i * 3)..(i * 3 + 3)], rowLosses[i])).ToArray();
    }

    /// <summary>Total cross entropy Σ −ln p(observed) over the three samples.</summary>
    /// <returns>The sum, in float32 arithmetic as training computes it.</returns>
    public double TotalCrossEntropy() => _sum.Forward(Network.Forward(_inputs, Samples.Count), _targets, Samples.Count, 3, Span<float>.Empty);

    /// <summary>
    /// ∂(total cross entropy)/∂parameter by backpropagation: the fused softmax-cross-entropy gradient (p − onehot) carried back
    /// through the network's Backward. With <paramref name="sample"/> set, the derivative of that sample's −ln p alone.
    /// </summary>
    /// <param name="name">A parameter name, any case.</param>
    /// <param name="sample">A sample's index for that sample's derivative, or null for the total's.</param>
    /// <returns>The derivative at the current values.</returns>
    public double Derivative(string name, int? sample = null)
    {
        ParameterLocation l = Locate(name);
        Network.ZeroGrad();
        if (sample is int i)
        {
            ReadOnlySpan<float> x = _inputs.AsSpan(i * 2, 2);
            _sum.ForwardBackward(Network.Forward(x, 1), _targets.AsSpan(i, 1), 1, 3, _logitsGrad);
            Network.Backward(x, _logitsGrad, 1);
        }
        else
        {
            _sum.ForwardBackward(Network.Forward(_inputs, Samples.Count), _targets, Samples.Count, 3, _logitsGrad);
            Network.Backward(_inputs, _logitsGrad, Samples.Count);
        }
        return Buffer(l).Gradient[l.Index(Network.Layers[l.Layer].Inputs)];
    }

    /// <summary>
    /// The same derivative by central differences, (CE(θ + h) − CE(θ − h)) / 2h, with the network evaluated in double
    /// precision (<see cref="ExactTotalCrossEntropy"/>) so that float32 rounding does not swamp the difference.
    /// </summary>
    /// <param name="name">A parameter name, any case.</param>
    /// <param name="h">The half-width of the difference.</param>
    /// <returns>The central-difference estimate.</returns>
    public double NumericDerivative(string name, double h = 1e-5)
    {
        ParameterLocation l = Locate(name);
        double value = Get(name);
        return (ExactTotalCrossEntropy(l, value + h) - ExactTotalCrossEntropy(l, value - h)) / (2 * h);
    }

    /// <summary>
    /// Total cross entropy computed in double from the network's layers (any depth, any activation), with one parameter
    /// replaced by <paramref name="value"/>: an independent, higher-precision evaluation for finite differences.
    /// </summary>
    /// <param name="replaced">The parameter to replace, or null for none.</param>
    /// <param name="value">Its value for this evaluation (the network is not changed).</param>
    /// <returns>The total cross entropy in double.</returns>
    public double ExactTotalCrossEntropy(ParameterLocation? replaced = null, double value = 0)
    {
        double total = 0;
        for (int s = 0; s < Samples.Count; s++)
        {
            double[] x = [Samples[s].PetalWidth, Samples[s].SepalWidth];
            for (int li = 0; li < Network.Layers.Count; li++)
            {
                Dense layer = Network.Layers[li];
                var y = new double[layer.Outputs];
                for (int o = 0; o < layer.Outputs; o++)
                {
                    double Param(bool bias, int index) =>
                        replaced is { } r && r.Layer == li && r.IsBias == bias && r.Index(layer.Inputs) == index ? value
                        : bias ? layer.Bias.Value[index] : layer.Weight.Value[index];
                    double z = Param(true, o);
                    for (int k = 0; k < layer.Inputs; k++) z += Param(false, o * layer.Inputs + k) * x[k];
                    y[o] = layer.Activation switch
                    {
                        Activation.Identity => z,
                        Activation.Relu => Math.Max(0, z),
                        Activation.LeakyRelu => z > 0 ? z : Activations.LeakySlope * z,
                        Activation.Softplus => Math.Max(z, 0) + Math.Log(1 + Math.Exp(-Math.Abs(z))),
                        Activation.Sigmoid => 1 / (1 + Math.Exp(-z)),
                        Activation.Tanh => Math.Tanh(z),
                        _ => throw new NotSupportedException(),
                    };
                }
                x = y;
            }
            double max = x.Max();
            double logSumExp = max + Math.Log(x.Sum(v => Math.Exp(v - max)));
            total += logSumExp - x[Samples[s].Species];
        }
        return total;
    }

    /// <summary>One row of the gradient-descent table.</summary>
    /// <param name="Value">The parameter's value before the step.</param>
    /// <param name="TotalCrossEntropy">The total cross entropy at that value.</param>
    /// <param name="Derivative">∂CE/∂parameter at that value.</param>
    /// <param name="StepSize">learning rate × derivative: what the step subtracts.</param>
    public sealed record DescentStep(double Value, double TotalCrossEntropy, double Derivative, double StepSize);

    /// <summary>A gradient-descent run on one parameter.</summary>
    /// <param name="Parameter">The parameter's name.</param>
    /// <param name="Start">Its starting value.</param>
    /// <param name="LearningRate">The learning rate.</param>
    /// <param name="Steps">Every step taken, in order.</param>
    /// <param name="Final">The value after the last step.</param>
    /// <param name="StopReason">Why it stopped, as a sentence.</param>
    /// <param name="Converged">Whether the step size fell below the tolerance (else the step limit was reached).</param>
    public sealed record DescentResult(string Parameter, double Start, double LearningRate, IReadOnlyList<DescentStep> Steps, double Final, string StopReason, bool Converged);

    /// <summary>
    /// Gradient descent on one parameter, all others fixed: value ← value − learningRate · ∂CE/∂value, until the step size
    /// |derivative × learning rate| is below <paramref name="tolerance"/> or <paramref name="maxSteps"/> steps were taken.
    /// The network's own value of the parameter is restored afterwards.
    /// </summary>
    /// <param name="name">A parameter name, any case.</param>
    /// <param name="start">The value to start from.</param>
    /// <param name="learningRate">The learning rate, positive.</param>
    /// <param name="tolerance">Stop when |step size| falls below this.</param>
    /// <param name="maxSteps">The most steps to take.</param>
    /// <returns>The steps and the final value.</returns>
    public DescentResult Descend(string name, double start, double learningRate, double tolerance, int maxSteps)
    {
        float original = Get(name);
        var steps = new List<DescentStep>();
        double value = start;
        string reason;
        bool converged = false;
        try
        {
            while (true)
            {
                Set(name, (float)value);
                double loss = TotalCrossEntropy();
                double derivative = Derivative(name);
                double step = derivative * learningRate;
                steps.Add(new DescentStep(value, loss, derivative, step));
                if (!double.IsFinite(step)) { reason = "the derivative is not finite; lower the learning rate"; break; }
                if (Math.Abs(step) < tolerance)
                {
                    reason = $"the step size {Math.Abs(step):G3} is below the tolerance {tolerance:G3}";
                    converged = true;
                    break;
                }
                if (steps.Count >= maxSteps) { reason = $"reached the maximum of {maxSteps} steps"; break; }
                value -= step;
            }
        }
        finally { Set(name, original); }
        return new DescentResult(name, start, learningRate, steps, value, reason, converged);
    }
}
