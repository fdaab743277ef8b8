using Xent.Layers;
using Xent.Numerics;
using Xent.Optimizers;
using static Xent.Tests.Numerical;

namespace Xent.Tests.Training;

/// <summary>
/// The optimizers' vector kernels and their split across worker threads compute, element for element, the scalar update
/// that the PyTorch reference tests (OptimizerTests, six elements, scalar path only) check: every length around the
/// vector widths, several parameters at once, and buffers large enough to be split across threads.
/// </summary>
public class OptimizerKernelTests
{
    public static TheoryData<int> Lengths() => new(1, 2, 7, 8, 9, 15, 16, 17, 31, 33, 1000, 70_001);

    [Theory]
    [MemberData(nameof(Lengths))]
    public void SgdMatchesTheScalarFormula(int length)
    {
        foreach ((float momentum, bool nesterov, float decay) in new[] { (0f, false, 0f), (0.9f, false, 0f), (0.9f, true, 0f), (0.8f, false, 0.01f), (0f, false, 0.05f) })
        {
            (Parameter[] parameters, float[][] c, float[][] b) = Problem(length);
            var optimizer = new Sgd(parameters, 0.1f, momentum, nesterov, decay);
            float[][] theta = parameters.Select(p => p.Value.ToArray()).ToArray();
            float[][] velocity = parameters.Select(p => new float[p.Length]).ToArray();
            for (int step = 0; step < 3; step++)
            {
                SetGradients(parameters, c, b);
                optimizer.Step();
                for (int i = 0; i < theta.Length; i++)
                    for (int j = 0; j < theta[i].Length; j++)
                    {
                        float g = c[i][j] * theta[i][j] + b[i][j] + decay * theta[i][j];
                        if (momentum > 0)
                        {
                            velocity[i][j] = momentum * velocity[i][j] + g;
                            g = nesterov ? g + momentum * velocity[i][j] : velocity[i][j];
                        }
                        theta[i][j] -= 0.1f * g;
                    }
                for (int i = 0; i < theta.Length; i++)
                    AssertClose(theta[i], parameters[i].Value, 1e-6, 1e-7, $"SGD μ={momentum} nesterov={nesterov} α={decay}, step {step}, parameter {i}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void AdamMatchesTheScalarFormula(int length)
    {
        foreach (bool decoupled in new[] { false, true })
        {
            (Parameter[] parameters, float[][] c, float[][] b) = Problem(length);
            const float lr = 0.01f, beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f, decay = 0.01f;
            var optimizer = new Adam(parameters, lr, beta1, beta2, eps, decay, decoupled);
            float[][] theta = parameters.Select(p => p.Value.ToArray()).ToArray();
            float[][] m = parameters.Select(p => new float[p.Length]).ToArray(), v = parameters.Select(p => new float[p.Length]).ToArray();
            for (int step = 1; step <= 3; step++)
            {
                SetGradients(parameters, c, b);
                optimizer.Step();
                float stepSize = (float)(lr / (1 - Math.Pow(beta1, step))), root = (float)Math.Sqrt(1 - Math.Pow(beta2, step));
                for (int i = 0; i < theta.Length; i++)
                    for (int j = 0; j < theta[i].Length; j++)
                    {
                        float grad = c[i][j] * theta[i][j] + b[i][j];
                        float t = decoupled ? theta[i][j] * (1 - lr * decay) : theta[i][j];
                        float g = decoupled ? grad : grad + decay * t;
                        m[i][j] = beta1 * m[i][j] + (1 - beta1) * g;
                        v[i][j] = beta2 * v[i][j] + (1 - beta2) * g * g;
                        theta[i][j] = t - stepSize * m[i][j] / (MathF.Sqrt(v[i][j]) / root + eps);
                    }
                for (int i = 0; i < theta.Length; i++)
                    AssertClose(theta[i], parameters[i].Value, 1e-6, 1e-7, $"Adam decoupled={decoupled}, step {step}, parameter {i}");
            }
        }
    }

    // Two parameters (the second of a different length, so slices of both are exercised) with the quadratic loss
    // Σ ½·c·θ² + b·θ, whose gradient c·θ + b changes from step to step.
    private static (Parameter[], float[][], float[][]) Problem(int length)
    {
        var random = new RandomSource(length + 1);
        Parameter[] parameters = [new Parameter("a", [length]), new Parameter("b", [length / 2 + 3])];
        foreach (Parameter p in parameters) RandomArray(random, p.Length, 1).AsSpan().CopyTo(p.Value);
        float[][] c = parameters.Select(p => RandomArray(random, p.Length, 1).Select(Math.Abs).ToArray()).ToArray();
        float[][] b = parameters.Select(p => RandomArray(random, p.Length, 1)).ToArray();
        return (parameters, c, b);
    }

    private static void SetGradients(Parameter[] parameters, float[][] c, float[][] b)
    {
        for (int i = 0; i < parameters.Length; i++)
            for (int j = 0; j < parameters[i].Length; j++) parameters[i].Gradient[j] = c[i][j] * parameters[i].Value[j] + b[i][j];
    }
}
