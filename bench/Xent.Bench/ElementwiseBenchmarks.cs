using BenchmarkDotNet.Attributes;
using Xent.Layers;
using Xent.Optimizers;

namespace Xent.Bench;

/// <summary>
/// The element-wise passes behind Numerics/Elementwise.cs: an SGD step with momentum and weight decay, an AdamW step (both
/// 8,192 + 2,735 parameters, below the size that splits over threads) and a ReLU and leaky-ReLU forward and backward
/// pass over a [128, 256] activation.
/// </summary>
[MemoryDiagnoser]
public class ElementwiseBenchmarks
{
    private Sgd _sgd = null!;
    private Adam _adam = null!;
    private float[] _z = [], _y = [], _yGrad = [], _zGrad = [];

    [GlobalSetup]
    public void Setup()
    {
        _sgd = new Sgd(Parameters(), 1e-4f, momentum: 0.9f, weightDecay: 1e-4f);
        _adam = new Adam(Parameters(), 1e-4f, weightDecay: 1e-4f, decoupledWeightDecay: true);
        var random = new Random(2);
        _z = Enumerable.Range(0, 128 * 256).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        _yGrad = Enumerable.Range(0, _z.Length).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        _y = new float[_z.Length];
        _zGrad = new float[_z.Length];
    }

    private static Parameter[] Parameters()
    {
        var random = new Random(1);
        Parameter[] parameters = [new Parameter("w", [8192]), new Parameter("b", [2735])];
        foreach (Parameter p in parameters)
            for (int i = 0; i < p.Length; i++) (p.Value[i], p.Gradient[i]) = ((float)random.NextDouble(), (float)random.NextDouble() - 0.5f);
        return parameters;
    }

    [Benchmark]
    public void SgdMomentumStep() => _sgd.Step();

    [Benchmark]
    public void AdamWStep() => _adam.Step();

    [Benchmark]
    public void ReluForwardBackward()
    {
        Activations.Forward(Activation.Relu, _z, _y);
        Activations.Backward(Activation.Relu, _z, _y, _yGrad, _zGrad);
    }

    [Benchmark]
    public void LeakyReluForwardBackward()
    {
        Activations.Forward(Activation.LeakyRelu, _z, _y);
        Activations.Backward(Activation.LeakyRelu, _z, _y, _yGrad, _zGrad);
    }
}
