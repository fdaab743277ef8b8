using System.Runtime.Intrinsics;
using Xent.Layers;
using Xent.Losses;
using Xent.Numerics;
using Xent.Training;
using static Xent.Tests.Numerical;

namespace Xent.Tests.Numerics;

/// <summary>The fused small-network step computes the same loss, gradients and accuracy as the general path, and writes every gradient.</summary>
public class FusedSmallStepTests
{
    // The widths this CPU can run the fused step at: every one is compared with the general path, whichever KernelPaths chose.
    private static SimdPath[] Widths() =>
        new[] { SimdPath.Vector512, SimdPath.Vector256 }.Where(w => SmallNetworkPath.TryCreate(Network.CreateClassifier(4, [16], 3), new SoftmaxCrossEntropy(), w) is not null).ToArray();

    [Fact]
    public void TheChosenWidthIsTheWidestThisCpuRuns()
    {
        SimdPath[] widths = Widths();
        Assert.Equal(widths.Length == 0 ? SimdPath.Scalar : widths[0], KernelPaths.FusedStep);
        Assert.Equal(widths.Length > 0, SmallNetworkPath.TryCreate(Network.CreateClassifier(4, [16], 3), new SoftmaxCrossEntropy()) is not null);
        Assert.Equal(System.Runtime.Intrinsics.X86.Avx2.IsSupported, widths.Contains(SimdPath.Vector256));
    }

    [Theory]
    [InlineData(4, 16, 3, 1)]
    [InlineData(4, 16, 3, 150)]
    [InlineData(4, 16, 3, 16)]
    [InlineData(1, 16, 2, 7)]
    [InlineData(16, 16, 16, 33)]
    [InlineData(7, 16, 5, 64)]
    [InlineData(4, 1, 3, 17)]
    [InlineData(3, 7, 4, 31)]
    [InlineData(16, 32, 16, 200)]
    public void MatchesTheGeneralPath(int inputs, int hidden, int classes, int batch)
    {
        if (Widths().Length == 0)
        {
            Assert.Null(SmallNetworkPath.TryCreate(Network.CreateClassifier(inputs, [hidden], classes), new SoftmaxCrossEntropy()));
            return;
        }
        foreach (SimdPath width in Widths())
        {
            var random = new RandomSource(inputs * 100 + classes * 10 + batch);
            Network general = Network.CreateClassifier(inputs, [hidden], classes, Activation.Relu, seed: batch);
            foreach (Parameter p in general.Parameters.Where(p => p.Name.EndsWith(".bias"))) RandomArray(random, p.Length, 0.5).AsSpan().CopyTo(p.Value);
            Network fused = general.Clone();
            FusedSmallStep step = SmallNetworkPath.TryCreate(fused, new SoftmaxCrossEntropy(), width) ?? throw new InvalidOperationException("the fused path should apply");
            CompareOnOneBatch(random, general, fused, step, batch, width);
        }
    }

    [Fact]
    public void OneStepServesBatchesOfEverySize()
    {
        foreach (SimdPath width in Widths())
        {
            var random = new RandomSource(5);
            Network general = Network.CreateClassifier(4, [16], 3, Activation.Relu, seed: 5);
            Network fused = general.Clone();
            FusedSmallStep step = SmallNetworkPath.TryCreate(fused, new SoftmaxCrossEntropy(), width)!;
            // the block buffer grows for 150 rows and is then reused, with stale rows beyond the batch, by smaller batches
            foreach (int batch in new[] { 150, 7, 33, 16, 8, 9, 1, 150, 200 }) CompareOnOneBatch(random, general, fused, step, batch, width);
        }
    }

    // One batch of random rows through both paths: the same loss, accuracy and gradients.
    private static void CompareOnOneBatch(RandomSource random, Network general, Network fused, FusedSmallStep step, int batch, SimdPath width)
    {
        int inputs = general.InputCount, classes = general.ClassCount;
        float[] x = RandomArray(random, batch * inputs, 1.5);
        int[] y = Enumerable.Range(0, batch).Select(_ => random.NextInt(classes)).ToArray();
        var loss = new SoftmaxCrossEntropy();
        general.ZeroGrad();
        var grad = new float[batch * classes];
        ReadOnlySpan<float> logits = general.Forward(x, batch);
        int expectedCorrect = 0;
        for (int r = 0; r < batch; r++)
            if (System.Numerics.Tensors.TensorPrimitives.IndexOfMax(logits.Slice(r * classes, classes)) == y[r]) expectedCorrect++;
        double expected = loss.ForwardBackward(logits, y, batch, classes, grad);
        general.Backward(x, grad, batch);

        foreach (Parameter p in fused.Parameters) p.Gradient.Fill(123f);   // the step writes the gradients: no ZeroGrad
        double? actual = step.Step(x, y, batch, out int correct);
        Assert.NotNull(actual);
        AssertClose(expected, actual!.Value, 1e-5, 1e-6, $"{width} loss, batch {batch}");
        Assert.Equal(expectedCorrect, correct);
        for (int i = 0; i < general.Parameters.Count; i++)
            AssertClose(general.Parameters[i].Gradient, fused.Parameters[i].Gradient, 1e-4, 1e-6, $"{width} {general.Parameters[i].Name}, batch {batch}");
    }

    [Theory]
    [InlineData(float.NaN, false)]
    [InlineData(float.PositiveInfinity, false)]
    [InlineData(float.NegativeInfinity, true)]   // a class that can never win: p = 0, as in the general path
    public void NonFiniteLogitsStopTrainingExceptMinusInfinity(float bias, bool finite)
    {
        foreach (SimdPath width in Widths())
        {
            Network network = Network.CreateClassifier(4, [16], 3, Activation.Relu, seed: 1);
            FusedSmallStep step = SmallNetworkPath.TryCreate(network, new SoftmaxCrossEntropy(), width)!;
            float[] x = RandomArray(new RandomSource(1), 40 * 4, 1);
            int[] y = new int[40];
            Assert.True(double.IsFinite(step.Step(x, y, 40, out _)!.Value));
            network.Layers[1].Bias.Value[1] = bias;
            Assert.Equal(finite, double.IsFinite(step.Step(x, y, 40, out _)!.Value));
            if (!finite) Assert.All(network.Parameters, p => Assert.All(p.Gradient.ToArray(), g => Assert.Equal(0f, g)));   // as ZeroGrad left them before
        }
    }

    [Fact]
    public void NaNInTheInputGivesANaNLoss()
    {
        foreach (SimdPath width in Widths())
        {
            Network network = Network.CreateClassifier(4, [16], 3, Activation.Relu, seed: 1);
            FusedSmallStep step = SmallNetworkPath.TryCreate(network, new SoftmaxCrossEntropy(), width)!;
            float[] x = RandomArray(new RandomSource(1), 40 * 4, 1);
            x[37 * 4 + 2] = float.NaN;   // one row of the last, partial block (of 16 rows or of 8)
            Assert.True(double.IsNaN(step.Step(x, new int[40], 40, out _)!.Value));
        }
    }

    // Each width where the CPU runs it (the kernel takes a width only then; its Max is the instruction itself): CI's runs
    // without AVX-512 or without intrinsics check the other widths, or none.
    [Fact]
    public void TheExponentialIsWithinTwoUlpOfMathExp()
    {
        bool wide = System.Runtime.Intrinsics.X86.Avx512F.IsSupported;
        bool narrow = System.Runtime.Intrinsics.X86.Avx2.IsSupported && System.Runtime.Intrinsics.X86.Fma.IsSupported;
        var inputs = new List<float> { 0f, -0f, -1e-30f, -1e-7f, -0.3465736f, -0.3465737f, -0.6931472f, -1f, -10f, -80f, -87.3f };
        var random = new RandomSource(3);
        for (int i = 0; i < 4000; i++) inputs.Add((float)(-random.NextDouble() * 87.3));
        foreach (float v in inputs)
        {
            double expected = Math.Exp(v);
            if (wide)
            {
                float actual = FusedSmallStep.Kernel<Lanes16, Vector512<int>>.ExpOfNonPositive(new Lanes16(Vector512.Create(v))).V.GetElement(0);
                Assert.True(Math.Abs(actual - expected) <= 2.5e-7 * expected, $"e^{v}: {actual} vs {expected}");
            }
            if (narrow)
            {
                float actual256 = FusedSmallStep.Kernel<Lanes8, Vector256<int>>.ExpOfNonPositive(new Lanes8(Vector256.Create(v))).V.GetElement(7);
                Assert.True(Math.Abs(actual256 - expected) <= 2.5e-7 * expected, $"Vector256 e^{v}: {actual256} vs {expected}");
            }
        }
        // clamped at e^-87.3 ≈ 1.22e-38: no NaN, no negative value
        if (wide) Assert.InRange(FusedSmallStep.Kernel<Lanes16, Vector512<int>>.ExpOfNonPositive(new Lanes16(Vector512.Create(-1000f))).V.GetElement(0), 0f, 1.3e-38f);
        if (narrow) Assert.InRange(FusedSmallStep.Kernel<Lanes8, Vector256<int>>.ExpOfNonPositive(new Lanes8(Vector256.Create(-1000f))).V.GetElement(0), 0f, 1.3e-38f);
    }

    // Max is one vmaxps with the operands swapped: the first argument's NaN comes through (a NaN pre-activation must reach
    // the logits, where it stops training), the larger value otherwise.
    [Fact]
    public void MaxKeepsTheFirstArgumentsNaN()
    {
        float[] first = [float.NaN, -1f, 2f, float.NegativeInfinity, float.PositiveInfinity, -0f, 0f, 3f];
        foreach (float b in new[] { 0f, -87.3f })
            for (int i = 0; i < first.Length; i++)
            {
                float expected = float.IsNaN(first[i]) ? float.NaN : Math.Max(first[i], b);
                if (System.Runtime.Intrinsics.X86.Avx512F.IsSupported)
                {
                    float wide = Lanes16.Max(new Lanes16(Vector512.Create(first[i])), new Lanes16(Vector512.Create(b))).V.GetElement(5);
                    Assert.True(wide.Equals(expected) || wide == expected, $"max({first[i]}, {b}) = {wide}, expected {expected}");
                }
                if (System.Runtime.Intrinsics.X86.Avx.IsSupported)
                {
                    float narrow = Lanes8.Max(new Lanes8(Vector256.Create(first[i])), new Lanes8(Vector256.Create(b))).V.GetElement(3);
                    Assert.True(narrow.Equals(expected) || narrow == expected, $"Vector256 max({first[i]}, {b}) = {narrow}, expected {expected}");
                }
            }
    }

    [Fact]
    public void LaneSumsEqualTheSumOfEachVector()
    {
        if (System.Runtime.Intrinsics.X86.Avx512F.IsSupported) LaneSumsMatch<Lanes16, Vector512<int>>(9, 50);   // the permute tree, AVX-512 like the fused step
        if (System.Runtime.Intrinsics.X86.Avx.IsSupported) LaneSumsMatch<Lanes8, Vector256<int>>(10, 30);      // the horizontal-add tree, x86 AVX
    }

    private static unsafe void LaneSumsMatch<W, TInts>(int seed, int maxCount) where W : unmanaged, IMaskedLanes<W, TInts> where TInts : unmanaged
    {
        var random = new RandomSource(seed);
        for (int count = 0; count <= maxCount; count++)
        {
            float[] values = RandomArray(random, count * W.Count, 3);
            var sums = new float[count + W.Count];
            fixed (float* v = values)
            fixed (float* s = sums)
                W.LaneSums((W*)v, count, s);
            for (int i = 0; i < count; i++)
            {
                double expected = 0;
                for (int lane = 0; lane < W.Count; lane++) expected += values[i * W.Count + lane];
                AssertClose(expected, sums[i], 1e-5, 1e-6, $"{W.Count} lanes, count {count}, vector {i}");
            }
            for (int i = count; i < sums.Length; i++) Assert.Equal(0f, sums[i]);
        }
    }

    [Fact]
    public void OtherShapesAndLossOptionsUseTheGeneralPath()
    {
        if (Widths().Length == 0) return; // then no shape is fused (MatchesTheGeneralPath checks)
        Assert.Null(SmallNetworkPath.TryCreate(Network.CreateClassifier(4, [33], 3), new SoftmaxCrossEntropy()));
        Assert.Null(SmallNetworkPath.TryCreate(Network.CreateClassifier(17, [16], 3), new SoftmaxCrossEntropy()));
        Assert.Null(SmallNetworkPath.TryCreate(Network.CreateClassifier(4, [16], 17), new SoftmaxCrossEntropy()));
        Assert.Null(SmallNetworkPath.TryCreate(Network.CreateClassifier(4, [16], 3, Activation.Tanh), new SoftmaxCrossEntropy()));
        Assert.Null(SmallNetworkPath.TryCreate(Network.CreateClassifier(4, [16, 16], 3), new SoftmaxCrossEntropy()));
        Assert.Null(SmallNetworkPath.TryCreate(Network.CreateClassifier(4, [16], 3), new SoftmaxCrossEntropy(new CrossEntropyOptions { LabelSmoothing = 0.1f })));
        Assert.Null(SmallNetworkPath.TryCreate(Network.CreateClassifier(4, [16], 3), new SoftmaxCrossEntropy(new CrossEntropyOptions { Weights = [1, 2, 1] })));
        FusedSmallStep step = SmallNetworkPath.TryCreate(Network.CreateClassifier(4, [16], 3), new SoftmaxCrossEntropy())!;
        Assert.Null(step.Step(new float[8], [0, -100], 2, out _)); // an ignored row: the general path handles it
        Assert.Null(step.Step(new float[8], [0, 3], 2, out _));    // a label out of range, likewise
        // An ignore index that is itself a class index, anywhere in a batch longer than a vector of labels.
        FusedSmallStep ignoring = SmallNetworkPath.TryCreate(Network.CreateClassifier(4, [16], 3), new SoftmaxCrossEntropy(new CrossEntropyOptions { IgnoreIndex = 2 }))!;
        int[] labels = new int[40];
        Assert.NotNull(ignoring.Step(new float[160], labels, 40, out _));
        labels[37] = 2;
        Assert.Null(ignoring.Step(new float[160], labels, 40, out _));
    }
}
