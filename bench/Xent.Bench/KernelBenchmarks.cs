using BenchmarkDotNet.Attributes;
using Xent.Layers;
using Xent.Numerics;

namespace Xent.Bench;

/// <summary>BenchmarkDotNet micro-benchmarks of the kernels: the packed multiply against its reference, and a training step.</summary>
[MemoryDiagnoser]
public class KernelBenchmarks
{
    private float[] _a = [], _b = [], _c = [];
    private Network _network = null!;
    private Xent.Training.Trainer _trainer = null!;
    private float[] _x = [], _grad = [];
    private int[] _y = [];

    [Params(64, 256)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new RandomSource(1);
        _a = Enumerable.Range(0, Size * Size).Select(_ => (float)random.NextGaussian()).ToArray();
        _b = Enumerable.Range(0, Size * Size).Select(_ => (float)random.NextGaussian()).ToArray();
        _c = new float[Size * Size];
        _network = Network.CreateClassifier(Size, [Size], 10, Activation.Relu, seed: 1);
        _trainer = new Xent.Training.Trainer(_network, new Xent.TrainerOptions { Optimizer = Xent.OptimizerKind.Sgd, Momentum = 0.9f });
        _x = Enumerable.Range(0, 128 * Size).Select(_ => (float)random.NextGaussian()).ToArray();
        _y = Enumerable.Range(0, 128).Select(i => i % 10).ToArray();
        _grad = new float[128 * 10];
    }

    [Benchmark(Baseline = true)]
    public void MultiplyReference() => MatMulReference.Multiply(_a, _b, _c, Size, Size, Size);

    [Benchmark]
    public void Multiply() => MatMul.Multiply(_a, _b, _c, Size, Size, Size);

    [Benchmark]
    public void MultiplyTransposeA() => MatMul.MultiplyTransposeA(_a, _b, _c, Size, Size, Size);

    [Benchmark]
    public void MultiplyTransposeB() => MatMul.MultiplyTransposeB(_a, _b, _c, Size, Size, Size);

    [Benchmark]
    public double TrainingStepBatch128() => _trainer.Step(_x, _y, 128).Loss;
}
