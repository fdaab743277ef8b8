using System.Diagnostics;
using Xent.Layers;
using Xent.Losses;
using Xent.Numerics;
using Xent.Training;

namespace Xent.Bench;

/// <summary>
/// Where an mnist-shaped training step's time goes, phase by phase (batch gather, forward, loss, backward, optimizer), with
/// the trainer's own pieces driven one at a time on 60,000 random rows: four epochs, each printed.
/// <c>dotnet bench/Xent.Bench/bin/Release/net10.0/Xent.Bench.dll --phases</c>
/// </summary>
public static class PhaseTimer
{
    public static int Run()
    {
        const int rows = 60000, width = 784, batch = 128;
        var random = new RandomSource(3);
        var x = new float[rows * width];
        for (int i = 0; i < x.Length; i++) x[i] = (float)random.NextGaussian();
        var y = new int[rows];
        for (int i = 0; i < rows; i++) y[i] = random.NextInt(10);
        var network = Network.CreateClassifier(784, [256, 128], 10, Activation.Relu, seed: 1);
        network.EnsureCapacity(batch);
        var sgd = new Xent.Optimizers.Sgd(network.Parameters, 0.01f, 0.9f);
        var loss = new SoftmaxCrossEntropy();
        var gather = new BatchGather();
        int[] order = Enumerable.Range(0, rows).ToArray();
        new Random(1).Shuffle(order);
        Memory<float> bx = AlignedMemory.Allocate(batch * width);
        var by = new int[batch];
        var grad = new float[batch * 10];
        var t = new double[5];
        for (int epoch = 0; epoch < 4; epoch++)
        {
            Array.Clear(t);
            long total = Stopwatch.GetTimestamp();
            for (int s = 0; s + batch <= rows; s += batch)
            {
                long a = Stopwatch.GetTimestamp();
                gather.Run(x, y, width, order, s, batch, bx, by);
                long b = Stopwatch.GetTimestamp();
                var logits = network.Forward(bx.Span, batch);
                long c = Stopwatch.GetTimestamp();
                loss.ForwardBackward(logits, by, batch, 10, grad);
                long d = Stopwatch.GetTimestamp();
                network.Backward(bx.Span, grad, batch, accumulate: false);
                long e = Stopwatch.GetTimestamp();
                sgd.Step();
                long f = Stopwatch.GetTimestamp();
                t[0] += b - a; t[1] += c - b; t[2] += d - c; t[3] += e - d; t[4] += f - e;
            }
            double steps = rows / batch, us = 1e6 / Stopwatch.Frequency / steps;
            double all = (Stopwatch.GetTimestamp() - total) * us;
            Console.WriteLine($"epoch {epoch}: step {all:F1} µs = gather {t[0] * us:F1} forward {t[1] * us:F1} loss {t[2] * us:F1} backward {t[3] * us:F1} sgd {t[4] * us:F1}; {rows / (all * steps / 1e6):N0} samples/s");
        }
        return 0;
    }
}
