using Xent.Losses;
using Xent.Numerics;
using static Xent.Tests.Numerical;

namespace Xent.Tests.Losses;

/// <summary>Every loss option's fused gradient against central differences of its own forward.</summary>
public class LossGradientTests
{
    public static TheoryData<bool, bool, float, Reduction, bool> Options()
    {
        var data = new TheoryData<bool, bool, float, Reduction, bool>();
        foreach (bool weights in new[] { false, true })
            foreach (bool ignore in new[] { false, true })
                foreach (float smoothing in new[] { 0f, 0.3f })
                    foreach (Reduction reduction in Enum.GetValues<Reduction>())
                        foreach (bool soft in new[] { false, true })
                            if (!(soft && ignore)) data.Add(weights, ignore, smoothing, reduction, soft);
        return data;
    }

    [Theory]
    [MemberData(nameof(Options))]
    public void CrossEntropyGradientMatchesFiniteDifferences(bool weights, bool ignore, float smoothing, Reduction reduction, bool soft)
    {
        const int batch = 5, classes = 4;
        var random = new RandomSource(11);
        var loss = new SoftmaxCrossEntropy(new CrossEntropyOptions
        {
            Weights = weights ? [0.5f, 2f, 1f, 0.25f] : null,
            IgnoreIndex = ignore ? 2 : -100,
            LabelSmoothing = smoothing,
            Reduction = reduction,
        });
        float[] logits = RandomArray(random, batch * classes, 2);
        int[] targets = [0, 2, 1, 3, 2];
        float[] q = new float[batch * classes];
        for (int n = 0; n < batch; n++)
        {
            double s = 0;
            for (int c = 0; c < classes; c++) s += q[n * classes + c] = (float)random.NextDouble();
            for (int c = 0; c < classes; c++) q[n * classes + c] /= (float)s;
        }
        var grad = new float[batch * classes];
        Func<double> f;
        if (soft)
        {
            loss.ForwardBackwardProbabilities(logits, q, batch, classes, grad);
            f = () => loss.ForwardProbabilities(logits, q, batch, classes, Span<float>.Empty);
        }
        else
        {
            loss.ForwardBackward(logits, targets, batch, classes, grad);
            f = () => loss.Forward(logits, targets, batch, classes, Span<float>.Empty);
        }
        AssertGradient(grad, NumericGradient(logits, f), "cross-entropy logits gradient");
        if (ignore && !soft)
            for (int c = 0; c < classes; c++) Assert.Equal(0f, grad[1 * classes + c]); // row 1 is ignored
    }

    [Theory]
    [InlineData(false, false, Reduction.Mean)]
    [InlineData(true, false, Reduction.Sum)]
    [InlineData(false, true, Reduction.None)]
    [InlineData(true, true, Reduction.Mean)]
    public void BinaryCrossEntropyGradientMatchesFiniteDifferences(bool weights, bool positiveWeights, Reduction reduction)
    {
        var random = new RandomSource(5);
        float[] logits = RandomArray(random, 12, 3);
        float[] targets = Enumerable.Range(0, 12).Select(i => i % 3 == 0 ? 0.3f : i % 2).ToArray();
        var bce = new BinaryCrossEntropyWithLogits(weights ? RandomArray(random, 12).Select(Math.Abs).ToArray() : null,
            positiveWeights ? [2f, 0.5f, 3f] : null, reduction);
        var grad = new float[12];
        bce.ForwardBackward(logits, targets, 3, grad);
        AssertGradient(grad, NumericGradient(logits, () => bce.Forward(logits, targets, 3, Span<float>.Empty)), "bce gradient");
    }

    [Fact]
    public void ExtremeLogitsGiveExactFiniteResultsAndNoNaNGradient()
    {
        var ce = new SoftmaxCrossEntropy();
        var grad = new float[3];
        Assert.Equal(2000.0, ce.ForwardBackward([1000f, 0f, -1000f], [2], 1, 3, grad));
        Assert.Equal([1f, 0f, -1f], grad);
        Assert.Equal(0.0, ce.ForwardBackward([1000f, 0f, -1000f], [0], 1, 3, grad));

        double loss = ce.ForwardBackward([float.NegativeInfinity, 1f, 2f], [1], 1, 3, grad);
        Assert.True(double.IsFinite(loss));
        Assert.Equal(0f, grad[0]);
        Assert.DoesNotContain(grad, float.IsNaN);
        Assert.Equal(double.PositiveInfinity, ce.ForwardBackward([float.NegativeInfinity, 1f, 2f], [0], 1, 3, grad));
        Assert.Equal([-1f], grad[..1]);
        Assert.DoesNotContain(grad, float.IsNaN);

        var bce = new BinaryCrossEntropyWithLogits();
        var g = new float[2];
        // Each element is confidently wrong by 200: softplus(200) = 200 exactly in double; the mean of two is 200.
        AssertClose(200.0, bce.ForwardBackward([200f, -200f], [0f, 1f], 2, g), 1e-12, 0);
        Assert.DoesNotContain(g, float.IsNaN);
    }

    [Fact]
    public void OutOfRangeTargetNamesTheRow()
    {
        var e = Assert.Throws<ArgumentException>(() => new SoftmaxCrossEntropy().Forward([1f, 2f, 3f, 4f], [0, 5], 2, 2, Span<float>.Empty));
        Assert.Contains("row 1", e.Message);
    }

    [Fact]
    public void OptionsValidationNamesTheField()
    {
        Assert.Equal("LabelSmoothing", Assert.Throws<ArgumentException>(() => new CrossEntropyOptions { LabelSmoothing = 1.5f }.Validate()).ParamName);
        Assert.Equal("Weights", Assert.Throws<ArgumentException>(() => new CrossEntropyOptions { Weights = [1f, 2f] }.Validate(3)).ParamName);
    }
}
