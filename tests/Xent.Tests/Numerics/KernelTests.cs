using Xent.Numerics;
using static Xent.Tests.Numerical;

namespace Xent.Tests.Numerics;

public class KernelTests
{
    public static TheoryData<int, int, int> Shapes() => new()
    {
        { 1, 1, 1 }, { 3, 17, 5 }, { 17, 3, 63 }, { 65, 63, 17 }, { 2, 257, 3 }, { 0, 4, 3 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void EveryFormMatchesTheReference(int m, int k, int n)
    {
        var random = new RandomSource(m * 1000 + k * 10 + n);
        float[] a = RandomArray(random, m * k), b = RandomArray(random, k * n), bt = RandomArray(random, n * k), at = RandomArray(random, k * m);
        foreach (bool accumulate in new[] { false, true })
        {
            float[] start = RandomArray(random, m * n);
            float[] fast = (float[])start.Clone(), reference = (float[])start.Clone();
            MatMul.Multiply(a, b, fast, m, k, n, accumulate);
            MatMulReference.Multiply(a, b, reference, m, k, n, accumulate);
            AssertClose(reference, fast, 1e-5, 1e-5, "A·B");
            fast = (float[])start.Clone(); reference = (float[])start.Clone();
            MatMul.MultiplyTransposeA(at, b, fast, m, k, n, accumulate);
            MatMulReference.MultiplyTransposeA(at, b, reference, m, k, n, accumulate);
            AssertClose(reference, fast, 1e-5, 1e-5, "Aᵀ·B");
            fast = (float[])start.Clone(); reference = (float[])start.Clone();
            MatMul.MultiplyTransposeB(a, bt, fast, m, k, n, accumulate);
            MatMulReference.MultiplyTransposeB(a, bt, reference, m, k, n, accumulate);
            AssertClose(reference, fast, 1e-5, 1e-5, "A·Bᵀ");
        }
    }

    [Fact]
    public void ReferenceMultiplyIsTheHandComputedProduct()
    {
        float[] a = [1, 2, 3, 4, 5, 6]; // [2, 3]
        float[] b = [7, 8, 9, 10, 11, 12]; // [3, 2]
        var c = new float[4];
        MatMulReference.Multiply(a, b, c, 2, 3, 2);
        Assert.Equal([58f, 64f, 139f, 154f], c);
    }

    [Fact]
    public void ShortBuffersAreRejectedNamingTheParameter()
    {
        var e = Assert.Throws<ArgumentException>(() => MatMul.Multiply(new float[5], new float[6], new float[4], 2, 3, 2));
        Assert.Equal("a", e.ParamName);
    }

    [Fact]
    public void SoftmaxIsStableForExtremeLogits()
    {
        float[] logits = [1000f, 0f, -1000f, 0.5f, 0.5f, 0.5f];
        var p = new float[6];
        Softmax.Rows(logits, 2, 3, p);
        Assert.Equal([1f, 0f, 0f], p[..3]);
        AssertClose([1 / 3.0, 1 / 3.0, 1 / 3.0], ToDouble(p.AsSpan(3)), 1e-6, 1e-7);
        var logP = new float[6];
        Softmax.LogRows(logits, 2, 3, logP);
        Assert.Equal(0f, logP[0]);
        Assert.Equal(-1000f, logP[1]);
        Assert.Equal(-2000f, logP[2]);
        AssertClose(-Math.Log(3), logP[4], 1e-6, 1e-7);
    }

    [Fact]
    public void SoftmaxOfTheWorkedExampleRow()
    {
        // Raw outputs 1.04, 0, 0.14: e^1.04 / (e^1.04 + e^0 + e^0.14) = 0.5682 (the Iris walkthrough's 0.57).
        var p = new float[3];
        Softmax.Rows([1.04f, 0f, 0.14f], 1, 3, p);
        double sum = Math.Exp(1.04) + 1 + Math.Exp(0.14);
        AssertClose([Math.Exp(1.04) / sum, 1 / sum, Math.Exp(0.14) / sum], ToDouble(p), 1e-6, 1e-7);
        Assert.Equal(0.57, Math.Round(p[0], 2));
    }

    [Fact]
    public void RandomSourceIsReproducibleAndRestorable()
    {
        var a = new RandomSource(42);
        for (int i = 0; i < 10; i++) a.NextUInt64();
        ulong[] state = a.GetState();
        var b = RandomSource.FromState(state);
        for (int i = 0; i < 100; i++) Assert.Equal(a.NextUInt64(), b.NextUInt64());
        Assert.NotEqual(new RandomSource(1).NextUInt64(), new RandomSource(2).NextUInt64());
        double mean = 0;
        var c = new RandomSource(3);
        for (int i = 0; i < 20000; i++) mean += c.NextGaussian() / 20000;
        Assert.InRange(mean, -0.03, 0.03);
    }
}
