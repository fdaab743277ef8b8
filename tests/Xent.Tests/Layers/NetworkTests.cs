using Xent.Layers;
using Xent.Numerics;
using static Xent.Tests.Numerical;

namespace Xent.Tests.Layers;

public class NetworkTests
{
    [Fact]
    public void ToStringReadsLikeFluxWithParameterCount()
    {
        Network network = Network.CreateClassifier(4, [16], 3, Activation.Relu);
        Assert.Equal("Dense(4 => 16, Relu) → Dense(16 => 3)  [131 parameters]", network.ToString());
        Assert.Equal(131, network.ParameterCount);
    }

    [Fact]
    public void ParametersHaveReadableNamesAndPyTorchShapes()
    {
        Network network = Network.CreateClassifier(4, [16, 8], 3);
        Assert.Equal(["hidden1.weight", "hidden1.bias", "hidden2.weight", "hidden2.bias", "output.weight", "output.bias"],
            network.Parameters.Select(p => p.Name));
        Assert.Equal([16, 4], network.GetParameter("hidden1.weight").Shape);
        Assert.Equal([3], network.GetParameter("output.bias").Shape);
        Assert.Throws<KeyNotFoundException>(() => network.GetParameter("nope"));
    }

    [Fact]
    public void MismatchedLayersAreRejected()
    {
        var e = Assert.Throws<ArgumentException>(() => new Network(new Dense(4, 5, name: "a"), new Dense(6, 3, name: "b")));
        Assert.Contains("layer 1 takes 6 inputs but layer 0 gives 5", e.Message);
    }

    [Fact]
    public void ForwardComputesTheAffineMapByHand()
    {
        var layer = new Dense(2, 2, Activation.Relu, "only");
        layer.Weight.Value[0] = 1; layer.Weight.Value[1] = 2;   // row 0: output 0 = 1·x0 + 2·x1 + 0.5
        layer.Weight.Value[2] = -1; layer.Weight.Value[3] = 1;  // row 1: output 1 = −x0 + x1 − 3
        layer.Bias.Value[0] = 0.5f; layer.Bias.Value[1] = -3f;
        var network = new Network(layer);
        ReadOnlySpan<float> y = network.Forward([1f, 2f], 1);
        Assert.Equal(5.5f, y[0]);
        Assert.Equal(0f, y[1]); // ReLU(−2)
    }

    [Fact]
    public void PredictProbabilitiesRowsSumToOneAndPredictIsTheArgmax()
    {
        Network network = Network.CreateClassifier(3, [5], 4, seed: 3);
        float[] x = Numerical.RandomArray(new RandomSource(2), 10 * 3);
        var p = new float[10 * 4];
        network.PredictProbabilities(x, 10, p);
        var classes = new int[10];
        network.Predict(x, 10, classes);
        for (int r = 0; r < 10; r++)
        {
            Assert.Equal(1.0, p.Skip(r * 4).Take(4).Sum(v => (double)v), 5);
            int argmax = Array.IndexOf(p, p.Skip(r * 4).Take(4).Max(), r * 4) - r * 4;
            Assert.Equal(argmax, classes[r]);
        }
    }

    [Fact]
    public void InitialisationIsSeededHeForReluAndGlorotOtherwise()
    {
        Network a = Network.CreateClassifier(200, [300], 3, Activation.Relu, seed: 5);
        Network b = Network.CreateClassifier(200, [300], 3, Activation.Relu, seed: 5);
        Assert.Equal(a.Parameters[0].Value, b.Parameters[0].Value);
        float[] w = a.GetParameter("hidden1.weight").Value.ToArray();
        double std = Math.Sqrt(w.Average(v => (double)v * v));
        Assert.InRange(std, 0.95 * Math.Sqrt(2.0 / 200), 1.05 * Math.Sqrt(2.0 / 200));
        Network t = Network.CreateClassifier(200, [300], 3, Activation.Tanh, seed: 5);
        float[] g = t.GetParameter("hidden1.weight").Value.ToArray();
        double limit = Math.Sqrt(6.0 / 500);
        Assert.All(g, v => Assert.InRange(v, -limit, limit));
        Assert.InRange(g.Max(), 0.95 * limit, limit);
        Assert.All(t.GetParameter("hidden1.bias").Value.ToArray(), v => Assert.Equal(0f, v));
    }

    [Theory]
    [InlineData(4, 16, 3, 5)]          // small products
    [InlineData(64, 128, 10, 32)]      // the dot-product forward kernel and packed backward products
    [InlineData(300, 70, 9, 130)]      // packed products with ragged tiles and more than one k block (k = 300 > 256)
    public void BackwardThatWritesEqualsZeroGradThenBackwardThatAdds(int inputs, int hidden, int classes, int batch)
    {
        var random = new RandomSource(inputs + batch);
        Network adding = Network.CreateClassifier(inputs, [hidden, hidden / 2 + 1], classes, Activation.Relu, seed: 3);
        Network writing = adding.Clone();
        float[] x = RandomArray(random, batch * inputs, 1);
        float[] logitsGrad = RandomArray(random, batch * classes, 0.1);
        adding.Forward(x, batch);
        adding.ZeroGrad();
        adding.Backward(x, logitsGrad, batch);
        writing.Forward(x, batch);
        foreach (Parameter p in writing.Parameters) RandomArray(random, p.Length, 100).AsSpan().CopyTo(p.Gradient);   // stale values
        writing.Backward(x, logitsGrad, batch, accumulate: false);
        for (int i = 0; i < adding.Parameters.Count; i++)
            AssertClose(adding.Parameters[i].Gradient, writing.Parameters[i].Gradient, 1e-6, 1e-7, adding.Parameters[i].Name);
    }
}
