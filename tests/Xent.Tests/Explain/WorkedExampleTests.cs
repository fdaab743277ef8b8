using Xent.Explain;

namespace Xent.Tests.Explain;

public class WorkedExampleTests
{
    [Fact]
    public void TheWalkthroughsProbabilities()
    {
        var example = new WorkedExample();
        IReadOnlyList<WorkedExample.SampleForward> f = example.Forward();
        Assert.Equal([0.57, 0.58, 0.52], f.Select(s => Math.Round(s.ObservedProbability, 2)));
        // By hand for sample 1: upper = ReLU(−2.5·0.04 + 0.6·0.42 + 1.6) = 1.752, lower = ReLU(−1.5·0.04 + 0.4·0.42 + 0.7) = 0.808,
        // raw setosa = −0.1·1.752 + 1.5·0.808 = 1.0368.
        Assert.Equal(1.752f, f[0].Hidden[0], 5);
        Assert.Equal(0.808f, f[0].Hidden[1], 5);
        Assert.Equal(1.0368f, f[0].Raw[0], 5);
        double e0 = Math.Exp(1.0368), e1 = Math.Exp(2.4 * 1.752 - 5.2 * 0.808), e2 = Math.Exp(-2.2 * 1.752 + 3.7 * 0.808 + 1);
        Assert.Equal(e0 / (e0 + e1 + e2), f[0].ObservedProbability, 5);
        Assert.Equal(f.Sum(s => -Math.Log(s.ObservedProbability)), example.TotalCrossEntropy(), 5);
    }

    [Fact]
    public void DescentOnB3FromMinusTwoMatchesTheWalkthrough()
    {
        var example = new WorkedExample();
        WorkedExample.DescentResult d = example.Descend("b3", -2, 1, 0.001, 1000);
        Assert.Equal(-1.23, Math.Round(d.Steps[1].Value, 2));
        Assert.Equal(-0.03, Math.Round(d.Final, 2));
        Assert.True(d.Converged);
        Assert.All(d.Steps.Zip(d.Steps.Skip(1)), pair => Assert.True(pair.Second.TotalCrossEntropy <= pair.First.TotalCrossEntropy));
        Assert.Equal(0f, example.Get("b3")); // the network's own value is restored
    }

    [Fact]
    public void AllFifteenAnalyticDerivativesEqualFiniteDifferences()
    {
        var example = new WorkedExample();
        foreach ((string name, _) in WorkedExample.Defaults)
        {
            double analytic = example.Derivative(name);
            double numeric = example.NumericDerivative(name);
            Assert.True(Math.Abs(analytic - numeric) <= 1e-5, $"{name}: backprop {analytic:R}, finite difference {numeric:R}");
        }
        // Some derivatives must be non-trivial for the check to mean anything.
        Assert.True(WorkedExample.Defaults.Count(d => Math.Abs(example.Derivative(d.Name)) > 0.01) >= 10);
    }

    [Fact]
    public void ChainRuleProductsEqualBackpropagationForEveryParameterAndSample()
    {
        var example = new WorkedExample();
        foreach ((string name, _) in WorkedExample.Defaults)
            for (int s = 0; s < 3; s++)
            {
                ChainRuleSample c = ChainRule.For(example, name, s);
                Assert.True(Math.Abs(c.Product - c.Backpropagated) < 1e-6, $"{name}, sample {s}: product {c.Product}, backprop {c.Backpropagated}");
                if (c.ClosedForm is { } closed) Assert.True(Math.Abs(closed - c.Backpropagated) < 1e-6, $"{name}: closed form {closed}, backprop {c.Backpropagated}");
            }
        // The output biases' closed form: p − 1 for the observed class, p for the others.
        ChainRuleSample b3 = ChainRule.For(example, "b3", 0);
        Assert.Equal("p(setosa) − 1", b3.ClosedFormText);
        Assert.True(Math.Abs(example.Forward()[0].Probabilities[0] - 1 - b3.ClosedForm!.Value) < 1e-6);
    }
}
