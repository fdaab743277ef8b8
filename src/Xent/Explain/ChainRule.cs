namespace Xent.Explain;

/// <summary>One factor of a chain-rule product, named the way a learner writes it.</summary>
/// <param name="Name">The factor as written, e.g. <c>∂p/∂raw</c>.</param>
/// <param name="Value">Its value at the sample's forward pass.</param>
public sealed record ChainFactor(string Name, double Value);

/// <summary>The chain rule for one parameter and one sample, with the backpropagated value beside it.</summary>
/// <param name="Sample">The sample's index in <see cref="WorkedExample.Samples"/>.</param>
/// <param name="Factors">The factors, outermost (∂CE/∂p) first.</param>
/// <param name="Formula">The product written out with the factors' names.</param>
/// <param name="Product">The product of the factors' values.</param>
/// <param name="Backpropagated">The same derivative as backpropagation computes it; equal to <paramref name="Product"/> up to rounding.</param>
/// <param name="ClosedForm">The simplified closed form's value (e.g. (p − 1)·hidden), or null when there is none to show.</param>
/// <param name="ClosedFormText">The closed form as written, or null.</param>
public sealed record ChainRuleSample(int Sample, IReadOnlyList<ChainFactor> Factors, string Formula, double Product, double Backpropagated, double? ClosedForm, string? ClosedFormText);

/// <summary>
/// Writes ∂(−ln p_observed)/∂parameter as the product of its factors, each evaluated from the network's forward values:
/// ∂CE/∂p = −1/p, ∂p/∂raw_k = p·(δ − p_k) (softmax), ∂raw_k/∂parameter (a hidden value, or 1 for a bias), and for
/// hidden-layer parameters also ∂raw_k/∂hidden = the output weight, ∂hidden/∂z = ReLU′ (1 or 0) and ∂z/∂parameter (an
/// input, or 1). The product is printed next to the derivative that backpropagation computes, which it must equal.
/// </summary>
public static class ChainRule
{
    /// <summary>The chain rule for one parameter and one sample of the example.</summary>
    /// <param name="example">The worked example with its current parameter values.</param>
    /// <param name="name">The parameter, w1 … w10 or b1 … b5 (any case).</param>
    /// <param name="sample">The sample's index, 0 … 2.</param>
    /// <returns>The factors, their product and the backpropagated value.</returns>
    /// <exception cref="ArgumentException">No parameter has that name.</exception>
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
