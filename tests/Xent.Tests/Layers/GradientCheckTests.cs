using Xent.Layers;
using Xent.Losses;
using Xent.Numerics;
using static Xent.Tests.Numerical;

namespace Xent.Tests.Layers;

/// <summary>
/// Analytic gradients against central differences (double accumulation, h = 1e-3 on float32 values), with the
/// scalar loss sum(output · r) for a fixed random r, at batch sizes 1, 3 and 32.
/// </summary>
public class GradientCheckTests
{
    public static TheoryData<Activation, int> ActivationsAndBatches()
    {
        var data = new TheoryData<Activation, int>();
        foreach (Activation a in Enum.GetValues<Activation>())
            foreach (int batch in new[] { 1, 3, 32 }) data.Add(a, batch);
        return data;
    }

    [Theory]
    [MemberData(nameof(ActivationsAndBatches))]
    public void DenseGradientsMatchFiniteDifferences(Activation activation, int batch)
    {
        var random = new RandomSource(100 + (int)activation * 7 + batch);
        const int inputs = 5, outputs = 4;
        var layer = new Dense(inputs, outputs, activation, "layer");
        layer.Initialize(random);
        RandomArray(random, outputs, 0.5).AsSpan().CopyTo(layer.Bias.Value);
        float[] x = RandomArray(random, batch * inputs);
        float[] r = RandomArray(random, batch * outputs);
        var z = new float[batch * outputs];
        var y = new float[batch * outputs];

        double Loss()
        {
            layer.Forward(x, batch, z, y);
            double sum = 0;
            for (int i = 0; i < y.Length; i++) sum += (double)y[i] * r[i];
            return sum;
        }

        Loss();
        var scratch = new float[batch * outputs];
        var inputGrad = new float[batch * inputs];
        layer.Weight.Gradient.Clear();
        layer.Bias.Gradient.Clear();
        layer.Backward(x, z, y, r, batch, scratch, inputGrad);

        AssertGradient(layer.Weight.Gradient, NumericGradient(layer.Weight.ValueMemory, Loss), $"{activation} weight gradient");
        AssertGradient(layer.Bias.Gradient, NumericGradient(layer.Bias.ValueMemory, Loss), $"{activation} bias gradient");
        AssertGradient(inputGrad, NumericGradient(x, Loss), $"{activation} input gradient");
    }

    [Theory]
    [MemberData(nameof(ActivationsAndBatches))]
    public void ActivationBackwardMatchesFiniteDifferences(Activation activation, int batch)
    {
        var random = new RandomSource(7 + batch);
        float[] z = RandomArray(random, batch * 6, 2.0);
        float[] r = RandomArray(random, batch * 6);
        var y = new float[z.Length];

        double Loss()
        {
            Activations.Forward(activation, z, y);
            double sum = 0;
            for (int i = 0; i < y.Length; i++) sum += (double)y[i] * r[i];
            return sum;
        }

        Loss();
        var zGrad = new float[z.Length];
        Activations.Backward(activation, z, y, r, zGrad);
        AssertGradient(zGrad, NumericGradient(z, Loss), $"{activation}");
    }

    public static TheoryData<string, int> LossesAndBatches()
    {
        var data = new TheoryData<string, int>();
        foreach (string loss in new[] { "cross-entropy", "squared-residual" })
            foreach (int batch in new[] { 1, 3, 32 }) data.Add(loss, batch);
        return data;
    }

    private static IClassificationLoss MakeLoss(string name) =>
        name == "cross-entropy" ? new SoftmaxCrossEntropy() : new SoftmaxSquaredError();

    [Theory]
    [MemberData(nameof(LossesAndBatches))]
    public void LossGradientMatchesFiniteDifferences(string lossName, int batch)
    {
        const int classes = 4;
        var random = new RandomSource(31 + batch);
        float[] logits = RandomArray(random, batch * classes, 2.0);
        int[] targets = Enumerable.Range(0, batch).Select(_ => random.NextInt(classes)).ToArray();
        IClassificationLoss loss = MakeLoss(lossName);
        var grad = new float[logits.Length];
        double value = loss.ForwardBackward(logits, targets, batch, classes, grad);
        double Loss() => loss.Forward(logits, targets, batch, classes, Span<float>.Empty);
        AssertClose(Loss(), value, 1e-6, 1e-7, "ForwardBackward's loss against Forward's");
        AssertGradient(grad, NumericGradient(logits, Loss), $"{lossName} logits gradient");
    }

    [Theory]
    [MemberData(nameof(LossesAndBatches))]
    public void NetworkBackpropagationMatchesFiniteDifferencesForEveryParameter(string lossName, int batch)
    {
        var random = new RandomSource(57 + batch);
        Network network = Network.CreateClassifier(4, [6, 5], 3, Activation.Tanh, seed: batch);
        foreach (Parameter p in network.Parameters.Where(p => p.Name.EndsWith(".bias")))
            RandomArray(random, p.Length, 0.3).AsSpan().CopyTo(p.Value);
        float[] x = RandomArray(random, batch * 4);
        int[] targets = Enumerable.Range(0, batch).Select(_ => random.NextInt(3)).ToArray();
        IClassificationLoss loss = MakeLoss(lossName);

        double Loss() => loss.Forward(network.Forward(x, batch), targets, batch, 3, Span<float>.Empty);

        var logitsGrad = new float[batch * 3];
        network.ZeroGrad();
        loss.ForwardBackward(network.Forward(x, batch), targets, batch, 3, logitsGrad);
        network.Backward(x, logitsGrad, batch);
        foreach (Parameter p in network.Parameters)
            AssertGradient(p.Gradient, NumericGradient(p.ValueMemory, Loss), p.Name);
    }

    [Fact]
    public void BackwardAddsIntoGradientsUntilZeroGrad()
    {
        Network network = Network.CreateClassifier(3, [4], 2, Activation.Relu, seed: 1);
        float[] x = [0.5f, -1f, 2f, 1f, 0f, -0.5f];
        float[] logitsGrad = [0.1f, -0.1f, -0.2f, 0.2f];
        network.Forward(x, 2);
        network.Backward(x, logitsGrad, 2);
        float[] once = network.Parameters[0].Gradient.ToArray();
        network.Forward(x, 2);
        network.Backward(x, logitsGrad, 2);
        AssertClose(once.Select(v => 2 * v).ToArray(), network.Parameters[0].Gradient, 1e-6, 1e-7, "two backward passes");
        network.ZeroGrad();
        Assert.All(network.Parameters, p => Assert.All(p.Gradient.ToArray(), g => Assert.Equal(0f, g)));
    }
}
