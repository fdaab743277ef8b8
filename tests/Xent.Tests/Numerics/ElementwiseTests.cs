using Xent.Layers;
using Xent.Numerics;

namespace Xent.Tests.Numerics;

/// <summary>The vectorised element-wise kernels against scalar definitions for every length 0..256, with NaN and ±∞ mixed in.</summary>
public class ElementwiseTests
{
    private static float[] Values(int length, int seed)
    {
        var random = new RandomSource(seed);
        var v = new float[length];
        for (int i = 0; i < length; i++)
            v[i] = (i % 37) switch { 5 => float.NaN, 11 => float.PositiveInfinity, 23 => float.NegativeInfinity, 29 => 0f, _ => (float)random.NextGaussian() };
        return v;
    }

    [Fact]
    public void ReluBackwardMatchesItsDefinitionAtEveryLength()
    {
        for (int n = 0; n <= 256; n++)
        {
            float[] z = Values(n, n), g = Values(n, n + 1000), y = new float[n], zGrad = new float[n];
            Activations.Forward(Activation.Relu, z, y);
            Activations.Backward(Activation.Relu, z, y, g, zGrad);
            for (int i = 0; i < n; i++)
            {
                Assert.Equal(z[i] > 0 ? g[i] : 0f, zGrad[i]);
                if (!float.IsNaN(z[i])) Assert.Equal(MathF.Max(z[i], 0), y[i]);
            }
        }
    }

    // Every length 0..256 (so every mix of Vector512, Vector256, Vector128 and scalar steps in Elementwise.Run), each element
    // against the plain scalar formula: the same roundings in the same order, so equal to the bit (any NaN for a NaN).
    private static void AssertSame(float expected, float actual, string what)
    {
        if (float.IsNaN(expected)) Assert.True(float.IsNaN(actual), $"{what}: expected NaN, got {actual}");
        else Assert.Equal(expected, actual);
    }

    [Theory]
    [InlineData(Activation.LeakyRelu)]
    [InlineData(Activation.Sigmoid)]
    [InlineData(Activation.Tanh)]
    public void ActivationDerivativesMatchTheirDefinitionsAtEveryLength(Activation activation)
    {
        for (int n = 0; n <= 256; n++)
        {
            float[] z = Values(n, n), g = Values(n, n + 1000), y = new float[n], zGrad = new float[n];
            if (n > 0) Activations.Forward(activation, z, y);   // TensorPrimitives.Sigmoid rejects an empty span
            Activations.Backward(activation, z, y, g, zGrad);
            for (int i = 0; i < n; i++)
            {
                float expected = activation switch
                {
                    Activation.LeakyRelu => z[i] > 0 ? g[i] : Activations.LeakySlope * g[i],
                    Activation.Sigmoid => g[i] * y[i] * (1 - y[i]),
                    _ => g[i] * (1 - y[i] * y[i]),
                };
                AssertSame(expected, zGrad[i], $"{activation} backward, length {n}, element {i}");
                if (activation == Activation.LeakyRelu) AssertSame(z[i] > 0 ? z[i] : Activations.LeakySlope * z[i], y[i], $"leaky ReLU, length {n}, element {i}");
            }
        }
    }

    [Fact]
    public void SgdUpdateMatchesTheScalarFormulaAtEveryLength()
    {
        foreach ((float momentum, bool nesterov, float decay) in new[] { (0f, false, 0f), (0f, false, 0.05f), (0.9f, false, 0f), (0.9f, true, 0.01f) })
            for (int n = 0; n <= 256; n++)
            {
                float[] theta = Values(n, n), grad = Values(n, n + 1), velocity = momentum > 0 ? Values(n, n + 2) : [];
                float[] expectedTheta = (float[])theta.Clone(), expectedVelocity = (float[])velocity.Clone();
                for (int i = 0; i < n; i++)
                {
                    float d = decay != 0 ? grad[i] + decay * expectedTheta[i] : grad[i];
                    if (momentum > 0)
                    {
                        expectedVelocity[i] = momentum * expectedVelocity[i] + d;
                        d = nesterov ? d + momentum * expectedVelocity[i] : expectedVelocity[i];
                    }
                    expectedTheta[i] -= 0.1f * d;
                }
                Xent.Optimizers.Sgd.Update(theta, grad, velocity, 0.1f, momentum, decay, nesterov);
                for (int i = 0; i < n; i++) AssertSame(expectedTheta[i], theta[i], $"SGD μ={momentum} θ, length {n}, element {i}");
                for (int i = 0; i < velocity.Length; i++) AssertSame(expectedVelocity[i], velocity[i], $"SGD μ={momentum} v, length {n}, element {i}");
            }
    }

    [Fact]
    public void AdamUpdateMatchesTheScalarFormulaAtEveryLength()
    {
        const float decay = 0.999f, l2 = 0.01f, beta1 = 0.9f, beta2 = 0.999f, epsilon = 1e-8f, stepSize = 0.01f, root = 0.3f;
        for (int n = 0; n <= 256; n++)
        {
            float[] theta = Values(n, n), grad = Values(n, n + 1), m = Values(n, n + 2), v = Values(n, n + 3).Select(MathF.Abs).ToArray();
            float[] t = (float[])theta.Clone(), em = (float[])m.Clone(), ev = (float[])v.Clone();
            for (int i = 0; i < n; i++)
            {
                float ti = t[i] * decay, g = grad[i] + l2 * ti;
                em[i] = beta1 * em[i] + (1 - beta1) * g;
                ev[i] = beta2 * ev[i] + (1 - beta2) * g * g;
                t[i] = ti - stepSize * em[i] / (MathF.Sqrt(ev[i]) / root + epsilon);
            }
            Xent.Optimizers.Adam.Update(theta, grad, m, v, decay, l2, beta1, beta2, epsilon, stepSize, root);
            for (int i = 0; i < n; i++)
            {
                AssertSame(t[i], theta[i], $"Adam θ, length {n}, element {i}");
                AssertSame(em[i], m[i], $"Adam m, length {n}, element {i}");
                AssertSame(ev[i], v[i], $"Adam v, length {n}, element {i}");
            }
        }
    }

    [Fact]
    public void BroadcastAndColumnSumsMatchTheirDefinitionsAtEveryWidth()
    {
        foreach (int columns in new[] { 1, 3, 8, 15, 16, 17, 24, 31, 32, 40, 48, 64, 100, 256 })
            foreach (int rows in new[] { 0, 1, 5, 33 })
            {
                float[] row = Values(columns, columns), matrix = new float[rows * columns];
                RowOps.Broadcast(row, matrix, rows);
                for (int r = 0; r < rows; r++) Assert.Equal(row, matrix.AsSpan(r * columns, columns).ToArray());
                float[] data = Values(rows * columns, rows + 7), sums = Values(columns, 3), expected = (float[])sums.Clone();
                for (int r = 0; r < rows; r++)
                    for (int j = 0; j < columns; j++) expected[j] += data[r * columns + j];
                RowOps.AddColumnSums(data, rows, sums);
                for (int j = 0; j < columns; j++)
                    if (float.IsNaN(expected[j])) Assert.True(float.IsNaN(sums[j]));
                    else Assert.Equal(expected[j], sums[j], Math.Max(1e-4f, Math.Abs(expected[j]) * 1e-5f));
            }
    }

    [Fact]
    public void SoftmaxRowsSumToOneForEveryWidth()
    {
        for (int n = 1; n <= 256; n++)
        {
            float[] x = new float[n];
            var random = new RandomSource(n);
            for (int i = 0; i < n; i++) x[i] = (float)(random.NextGaussian() * 30);
            var p = new float[n];
            Softmax.Rows(x, 1, n, p);
            Assert.Equal(1.0, p.Sum(v => (double)v), 5);
            Assert.All(p, v => Assert.InRange(v, 0f, 1f));
        }
        var nan = new float[3];
        Softmax.Rows([float.NaN, 1f, 2f], 1, 3, nan);
        Assert.All(nan, v => Assert.True(float.IsNaN(v)));
    }
}
