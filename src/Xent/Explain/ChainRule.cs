namespace Xent.Explain;

/// <summary>One factor of a chain-rule product, named the way a learner writes it.</summary>
public sealed record ChainFactor(string Name, double Value);

/// <summary>The chain rule for one parameter and one sample, with the backpropagated value beside it.</summary>
public sealed record ChainRuleSample(int Sample, IReadOnlyList<ChainFactor> Factors, string Formula, double Product, double Backpropagated, double? ClosedForm, string? ClosedFormText);

/// <summary>
/// Writes ∂(−ln p_observed)/∂parameter as the product of its factors, each evaluated from the network's forward values:
/// ∂CE/∂p = −1/p, ∂p/∂raw_k = p·(δ − p_k) (softmax), ∂raw_k/∂parameter (a hidden value, or 1 for a bias), and for
/// hidden-layer parameters also ∂raw_k/∂hidden = the output weight, ∂hidden/∂z = ReLU′ (1 or 0) and ∂z/∂parameter (an
/// input, or 1). The product is printed next to the derivative that backpropagation computes, which it must equal.
/// </summary>
public static class ChainRule
{
    public static ChainRuleSample For(WorkedExample example, string name, int sample)
    {
        ParameterLocation l = WorkedExample.Locate(name);
        WorkedExample.SampleForward f = example.Forward()[sample];
        int observed = f.Sample.Species;
        double p = f.Probabilities[observed];
        string species = WorkedExample.Species[observed];
        double dCeDp = -1 / p;
        double backprop = example.Derivative(name, sample);
        // ∂p_observed/∂raw_k for the softmax: p·(1 − p) when k is the observed class, −p·p_k otherwise.
        double DpDraw(int k) => p * ((k == observed ? 1 : 0) - f.Probabilities[k]);

        var factors = new List<ChainFactor> { new($"∂CE/∂p({species}) = −1/p", dCeDp) };
        string formula;
        double product;
        double? closed = null;
        string? closedText = null;
        if (l.Layer == 1)
        {
            int k = l.Row;
            string raw = WorkedExample.Species[k];
            double dRawDParam = l.IsBias ? 1 : f.Hidden[l.Column];
            factors.Add(new($"∂p({species})/∂raw({raw}) = {(k == observed ? "p·(1 − p)" : $"−p·p({raw})")}", DpDraw(k)));
            factors.Add(new(l.IsBias ? $"∂raw({raw})/∂{name}" : $"∂raw({raw})/∂{name} = {WorkedExample.HiddenNames[l.Column]} node value", dRawDParam));
            product = dCeDp * DpDraw(k) * dRawDParam;
            formula = $"∂CE/∂p × ∂p/∂raw({raw}) × ∂raw({raw})/∂{name}";
            if (l.IsBias)
            {
                closed = f.Probabilities[k] - (k == observed ? 1 : 0);
                closedText = k == observed ? $"p({raw}) − 1" : $"p({raw})";
            }
        }
        else
        {
            int j = l.Row;
            string node = WorkedExample.HiddenNames[j];
            double sum = 0;
            for (int k = 0; k < 3; k++)
            {
                string raw = WorkedExample.Species[k];
                double w = example.Network.Layers[1].Weight.Value[k * 2 + j];
                factors.Add(new($"∂p({species})/∂raw({raw})", DpDraw(k)));
                factors.Add(new($"∂raw({raw})/∂{node} = output weight", w));
                sum += DpDraw(k) * w;
            }
            double relu = f.PreActivation[j] > 0 ? 1 : 0;
            double dZdParam = l.IsBias ? 1 : l.Column == 0 ? f.Sample.PetalWidth : f.Sample.SepalWidth;
            factors.Add(new($"∂{node}/∂z = ReLU′(z = {f.PreActivation[j]:0.####})", relu));
            factors.Add(new(l.IsBias ? $"∂z({node})/∂{name}" : $"∂z({node})/∂{name} = {(l.Column == 0 ? "petal width" : "sepal width")}", dZdParam));
            product = dCeDp * sum * relu * dZdParam;
            formula = $"∂CE/∂p × Σ_k (∂p/∂raw_k × ∂raw_k/∂{node}) × ∂{node}/∂z × ∂z/∂{name}";
        }
        return new ChainRuleSample(sample, factors, formula, product, backprop, closed, closedText);
    }
}
