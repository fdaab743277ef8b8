using System.Diagnostics;
using Xent.Numerics;

namespace Xent.Bench;

/// <summary>
/// The matrix products of one mnist-shaped training step (784-256-128-10, batch 128), each timed alone on the kernel that
/// serves it in training, in GFLOP/s: where the step's time goes, product by product.
/// <c>dotnet bench/Xent.Bench/bin/Release/net10.0/Xent.Bench.dll --products</c>
/// </summary>
public static class StepProducts
{
    private enum Form { AB, AtB, ABt }

    public static int Run()
    {
        Dictionary<string, double> measured = Measure();
        foreach ((string name, double value) in measured) Console.WriteLine($"{name,-34} {value,8:F1}");
        return 0;
    }

    /// <summary>Each product's best time in µs, and their sum.</summary>
    public static Dictionary<string, double> Measure()
    {
        var results = new Dictionary<string, double>();
        (string Name, Form Form, int M, int K, int N)[] products =
        [
            ("forward 1  x·W1ᵀ", Form.ABt, 128, 784, 256),
            ("forward 2  h1·W2ᵀ", Form.ABt, 128, 256, 128),
            ("forward 3  h2·W3ᵀ", Form.ABt, 128, 128, 10),
            ("dW3  dz3ᵀ·h2", Form.AtB, 10, 128, 128),
            ("dx3  dz3·W3", Form.AB, 128, 10, 128),
            ("dW2  dz2ᵀ·h1", Form.AtB, 128, 128, 256),
            ("dx2  dz2·W2", Form.AB, 128, 128, 256),
            ("dW1  dz1ᵀ·x", Form.AtB, 256, 128, 784),
        ];
        var random = new RandomSource(5);
        double totalMicroseconds = 0;
        foreach (var (name, form, m, k, n) in products)
        {
            // 64-byte aligned, as the network's parameters, activations and batch are in training (AlignedMemory).
            Memory<float> a = Fill(random, m * k), b = Fill(random, k * n), c = AlignedMemory.Allocate(m * n);
            void Once()
            {
                switch (form)
                {
                    case Form.AB: MatMul.Multiply(a.Span, b.Span, c.Span, m, k, n); break;
                    case Form.AtB: MatMul.MultiplyTransposeA(a.Span, b.Span, c.Span, m, k, n); break;
                    default: MatMul.MultiplyTransposeB(a.Span, b.Span, c.Span, m, k, n); break;
                }
            }
            for (int i = 0; i < 500; i++) Once();
            double best = double.MaxValue;
            const int calls = 200;
            for (int run = 0; run < 7; run++)
            {
                long start = Stopwatch.GetTimestamp();
                for (int i = 0; i < calls; i++) Once();
                best = Math.Min(best, Stopwatch.GetElapsedTime(start).TotalSeconds / calls);
            }
            totalMicroseconds += best * 1e6;
            results[$"{name} {m}x{k}x{n} µs"] = best * 1e6;
        }
        results["all products µs"] = totalMicroseconds;
        return results;
    }

    private static Memory<float> Fill(RandomSource random, int length)
    {
        Memory<float> values = AlignedMemory.Allocate(length);
        for (int i = 0; i < length; i++) values.Span[i] = (float)random.NextGaussian();
        return values;
    }
}
