using BenchmarkDotNet.Attributes;
using Xent.Data;
using Xent.Layers;
using Xent.Losses;
using Xent.Optimizers;
using Xent.Training;

namespace Xent.Bench;

/// <summary>
/// One full-batch Iris step (150 × 4, 4-16-3 ReLU, SGD): the general path (forward, fused loss, backward, update) against
/// the trainer's step, which takes the fused small-network path for this shape.
/// </summary>
[MemoryDiagnoser]
public class SmallNetworkBenchmarks
{
    private Dataset _iris = null!;
    private Network _general = null!, _fused = null!;
    private SoftmaxCrossEntropy _loss = null!;
    private Sgd _sgd = null!;
    private Trainer _trainer = null!;
    private float[] _logitsGrad = [];

    [GlobalSetup]
    public void Setup()
    {
        _iris = Standardizer.Fit(Iris.Load()).Transform(Iris.Load());
        _general = Network.CreateClassifier(4, [16], 3, Activation.Relu, seed: 1);
        _fused = _general.Clone();
        _loss = new SoftmaxCrossEntropy();
        _sgd = new Sgd(_general.Parameters, 0.1f);
        _trainer = new Trainer(_fused, new TrainerOptions { Optimizer = OptimizerKind.Sgd, LearningRate = 0.1f, Momentum = 0, WeightDecay = 0, BatchSize = 0 });
        _logitsGrad = new float[150 * 3];
    }

    [Benchmark(Baseline = true)]
    public double GeneralPathStep()
    {
        _general.ZeroGrad();
        ReadOnlySpan<float> logits = _general.Forward(_iris.Features, 150);
        double loss = _loss.ForwardBackward(logits, _iris.Labels, 150, 3, _logitsGrad);
        _general.Backward(_iris.Features, _logitsGrad, 150);
        _sgd.Step();
        return loss;
    }

    [Benchmark]
    public double FusedStep() => _trainer.Step(_iris.Features, _iris.Labels, 150).Loss;
}
