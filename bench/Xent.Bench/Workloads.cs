using System.Diagnostics;
using Xent.Data;
using Xent.Layers;
using Xent.Numerics;
using Xent.Training;

namespace Xent.Bench;

/// <summary>
/// The five workloads of the benchmark, with the same shapes, architecture, optimizer and number of steps as the peer
/// scripts in bench/peers (synthetic data where the data set does not matter to the speed).
/// </summary>
public static class Workloads
{
    private static Dataset Synthetic(int rows, int features, int classes, long seed)
    {
        var random = new RandomSource(seed);
        var x = new float[rows * features];
        for (int i = 0; i < x.Length; i++) x[i] = (float)random.NextGaussian();
        var y = new int[rows];
        for (int i = 0; i < rows; i++) y[i] = random.NextInt(classes);
        return new Dataset(x, y, Enumerable.Range(0, features).Select(i => $"x{i}").ToArray(), Enumerable.Range(0, classes).Select(i => $"c{i}").ToArray());
    }

    private static TrainerOptions Sgd(float learningRate, float momentum, int batch, int epochs) => new()
    {
        Optimizer = OptimizerKind.Sgd,
        LearningRate = learningRate,
        Momentum = momentum,
        WeightDecay = 0,
        BatchSize = batch,
        Epochs = epochs,
        EarlyStopping = false,
        Patience = int.MaxValue,
        MinDelta = 0,
        Seed = 1,
    };

    /// <summary>150 × 4 Iris, 4-16-3 ReLU, full batch, SGD η = 0.1, 2000 epochs: gradient steps per second.</summary>
    public static Dictionary<string, double> Iris()
    {
        Dataset iris = Standardizer.Fit(Xent.Data.Iris.Load()).Transform(Xent.Data.Iris.Load());
        // Warm-up: the JIT promotes hot methods to optimised code only after they have run for a while (100 ms by default),
        // longer than a 2000-step run takes here.
        new Trainer(Network.CreateClassifier(4, [16], 3, Activation.Relu, seed: 1), Sgd(0.1f, 0, 0, 30000)).Fit(iris);
        double best = BestRate(5, 2000, iris, () => new Trainer(Network.CreateClassifier(4, [16], 3, Activation.Relu, seed: 1), Sgd(0.1f, 0, 0, 2000)));
        return new() { ["stepsPerSecond"] = best };
    }

    /// <summary>1797 × 64, 64-128-10 ReLU, batch 32, SGD with momentum 0.9, 20 epochs: training samples per second.</summary>
    public static Dictionary<string, double> Digits()
    {
        Dataset data = Synthetic(1797, 64, 10, 2);
        double best = BestRate(5, 20.0 * data.RowCount, data, () => new Trainer(Network.CreateClassifier(64, [128], 10, Activation.Relu, seed: 1), Sgd(0.01f, 0.9f, 32, 20)));
        return new() { ["samplesPerSecond"] = best };
    }

    /// <summary>60,000 × 784, 784-256-128-10 ReLU, batch 128, SGD with momentum 0.9, one epoch: samples per second and peak working set.</summary>
    public static Dictionary<string, double> Mnist()
    {
        Dataset data = Synthetic(60000, 784, 10, 3);
        double best = BestRate(5, data.RowCount, data, () => new Trainer(Network.CreateClassifier(784, [256, 128], 10, Activation.Relu, seed: 1), Sgd(0.01f, 0.9f, 128, 1)));
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        return new() { ["samplesPerSecond"] = best, ["peakWorkingSetBytes"] = process.PeakWorkingSet64 };
    }

    // Trains a fresh network `runs` times and returns the best rate of `work` units (steps or samples) per second; the first
    // run is left out, so that code still being compiled by the JIT does not count. Each workload times as many runs as
    // its peer: bench/peers/torch_bench.py takes the best of 2 runs at each of 2 thread settings, 4 in all.
    private static double BestRate(int runs, double work, Dataset data, Func<Trainer> fresh)
    {
        double best = 0;
        for (int run = 0; run < runs; run++)
        {
            Trainer trainer = fresh();
            var clock = Stopwatch.StartNew();
            trainer.Fit(data);
            if (run > 0) best = Math.Max(best, work / clock.Elapsed.TotalSeconds);
        }
        return best;
    }

    /// <summary>The matrix products of an mnist-shaped step, each timed alone: µs each (see <see cref="StepProducts"/>).</summary>
    public static Dictionary<string, double> Products() => StepProducts.Measure();

    /// <summary>C = A·B at 1024 × 1024 × 1024 in float32: the best of several runs, in GFLOP/s (2·n³ floating-point operations).</summary>
    public static Dictionary<string, double> Gemm()
    {
        const int n = 1024;
        var random = new RandomSource(4);
        var a = new float[n * n];
        var b = new float[n * n];
        var c = new float[n * n];
        for (int i = 0; i < a.Length; i++) { a[i] = (float)random.NextGaussian(); b[i] = (float)random.NextGaussian(); }
        MatMul.Multiply(a, b, c, n, n, n);
        double best = double.MaxValue;
        for (int run = 0; run < 10; run++)
        {
            var clock = Stopwatch.StartNew();
            MatMul.Multiply(a, b, c, n, n, n);
            best = Math.Min(best, clock.Elapsed.TotalSeconds);
        }
        return new() { ["gflops"] = 2.0 * n * n * n / best / 1e9 };
    }

    /// <summary>One standardised Iris row through a trained 4-16-3 network to probabilities: microseconds per prediction.</summary>
    public static Dictionary<string, double> Predict()
    {
        Dataset iris = Standardizer.Fit(Xent.Data.Iris.Load()).Transform(Xent.Data.Iris.Load());
        Network network = Network.CreateClassifier(4, [16], 3, Activation.Relu, seed: 1);
        new Trainer(network, Sgd(0.1f, 0, 0, 200)).Fit(iris);
        float[] row = iris.Row(77).ToArray();
        var p = new float[3];
        for (int i = 0; i < 10000; i++) network.PredictProbabilities(row, 1, p);
        double best = double.MaxValue;
        const int calls = 200_000;
        for (int run = 0; run < 5; run++)
        {
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < calls; i++) network.PredictProbabilities(row, 1, p);
            best = Math.Min(best, clock.Elapsed.TotalSeconds * 1e6 / calls);
        }
        return new() { ["microseconds"] = best };
    }
}
