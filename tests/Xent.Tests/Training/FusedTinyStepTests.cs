using Xent.Layers;
using Xent.Losses;
using Xent.Numerics;
using Xent.Training;
using static Xent.Tests.Numerical;

namespace Xent.Tests.Training;

/// <summary>The fused small-network step computes the same loss, gradients and accuracy as the general path.</summary>
public class FusedTinyStepTests
{
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
        if (!System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated)
        {
            Assert.Null(FusedTinyStep.TryCreate(Network.CreateClassifier(inputs, [hidden], classes), new SoftmaxCrossEntropy()));
            return;
        }
        var random = new RandomSource(inputs * 100 + classes * 10 + batch);
        float[] x = RandomArray(random, batch * inputs, 1.5);
        int[] y = Enumerable.Range(0, batch).Select(_ => random.NextInt(classes)).ToArray();
        Network general = Network.CreateClassifier(inputs, [hidden], classes, Activation.Relu, seed: batch);
        foreach (Parameter p in general.Parameters.Where(p => p.Name.EndsWith(".bias"))) RandomArray(random, p.Length, 0.5).CopyTo(p.Value, 0);
        Network fused = general.Clone();
        var loss = new SoftmaxCrossEntropy();

        general.ZeroGrad();
        var grad = new float[batch * classes];
        ReadOnlySpan<float> logits = general.Forward(x, batch);
        int expectedCorrect = 0;
        for (int r = 0; r < batch; r++)
            if (System.Numerics.Tensors.TensorPrimitives.IndexOfMax(logits.Slice(r * classes, classes)) == y[r]) expectedCorrect++;
        double expected = loss.ForwardBackward(logits, y, batch, classes, grad);
        general.Backward(x, grad, batch);

        FusedTinyStep step = FusedTinyStep.TryCreate(fused, loss) ?? throw new InvalidOperationException("the fused path should apply");
        fused.ZeroGrad();
        double? actual = step.Step(x, y, batch, out int correct);
        Assert.NotNull(actual);
        AssertClose(expected, actual!.Value, 1e-5, 1e-6, "loss");
        Assert.Equal(expectedCorrect, correct);
        for (int i = 0; i < general.Parameters.Count; i++)
            AssertClose(general.Parameters[i].Gradient, fused.Parameters[i].Gradient, 1e-4, 1e-6, general.Parameters[i].Name);
    }

    [Fact]
    public void OtherShapesAndLossOptionsUseTheGeneralPath()
    {
        if (!System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated) return; // then no shape is fused (MatchesTheGeneralPath checks)
        Assert.Null(FusedTinyStep.TryCreate(Network.CreateClassifier(4, [33], 3), new SoftmaxCrossEntropy()));
        Assert.Null(FusedTinyStep.TryCreate(Network.CreateClassifier(17, [16], 3), new SoftmaxCrossEntropy()));
        Assert.Null(FusedTinyStep.TryCreate(Network.CreateClassifier(4, [16], 17), new SoftmaxCrossEntropy()));
        Assert.Null(FusedTinyStep.TryCreate(Network.CreateClassifier(4, [16], 3, Activation.Tanh), new SoftmaxCrossEntropy()));
        Assert.Null(FusedTinyStep.TryCreate(Network.CreateClassifier(4, [16, 16], 3), new SoftmaxCrossEntropy()));
        Assert.Null(FusedTinyStep.TryCreate(Network.CreateClassifier(4, [16], 3), new SoftmaxCrossEntropy(new CrossEntropyOptions { LabelSmoothing = 0.1f })));
        Assert.Null(FusedTinyStep.TryCreate(Network.CreateClassifier(4, [16], 3), new SoftmaxCrossEntropy(new CrossEntropyOptions { Weights = [1, 2, 1] })));
        FusedTinyStep step = FusedTinyStep.TryCreate(Network.CreateClassifier(4, [16], 3), new SoftmaxCrossEntropy())!;
        Assert.Null(step.Step(new float[8], [0, -100], 2, out _)); // an ignored row: the general path handles it
    }
}
