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

    [Fact]
    public void BroadcastAndColumnSumsMatchTheirDefinitionsAtEveryWidth()
    {
        foreach (int columns in new[] { 1, 3, 15, 16, 17, 31, 32, 48, 64, 100, 256 })
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
