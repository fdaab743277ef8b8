using System.Text.Json;
using Xent.Losses;
using Xent.Tests.Reference;
using static Xent.Tests.Numerical;

namespace Xent.Tests.Losses;

/// <summary>
/// Compares Xent's losses, per-row losses and gradients with PyTorch 1.13's CrossEntropyLoss and BCEWithLogitsLoss
/// on the cases in Reference/loss_reference.json (written by Reference/make_loss_reference.py).
/// </summary>
public class LossReferenceTests
{
    public sealed record LossCase
    {
        public string Name { get; init; } = "";
        public string Kind { get; init; } = "";
        public int Rows { get; init; }
        public int Classes { get; init; }
        public double[] Logits { get; init; } = [];
        public int[]? Targets { get; init; }
        public double[]? Probabilities { get; init; }
        public double[]? Weights { get; init; }
        public double[]? PositiveWeights { get; init; }
        public int IgnoreIndex { get; init; } = -100;
        public float LabelSmoothing { get; init; }
        public string Reduction { get; init; } = "mean";
        public JsonElement Loss { get; init; }
        public double[]? RowLosses { get; init; }
        public double[] Gradient { get; init; } = [];
        public override string ToString() => Name;
    }

    public sealed record ReferenceFile(string Torch, LossCase[] Cases);

    private static readonly Lazy<ReferenceFile> File = new(() => ReferenceData.Load<ReferenceFile>("loss_reference.json"));

    public static TheoryData<string> CaseNames()
    {
        var data = new TheoryData<string>();
        foreach (LossCase c in File.Value.Cases) data.Add(c.Name);
        return data;
    }

    private const double Relative = 1e-5, Absolute = 1e-6;

    [Fact]
    public void TheReferenceCoversEveryOption()
    {
        LossCase[] cases = File.Value.Cases;
        Assert.True(cases.Count(c => c.Kind == "cross_entropy") >= 40);
        Assert.Contains(cases, c => c.Weights is not null && c.LabelSmoothing > 0 && c.Targets is not null && c.Targets.Contains(c.IgnoreIndex));
        Assert.Contains(cases, c => c.Probabilities is not null && c.Kind == "cross_entropy" && c.LabelSmoothing > 0 && c.Weights is not null);
        foreach (string r in new[] { "none", "sum", "mean" }) Assert.Contains(cases, c => c.Reduction == r);
        Assert.Contains(cases, c => c.Name.StartsWith("all-ignored-mean"));
        Assert.Contains(cases, c => c.Kind == "bce" && c.PositiveWeights is not null && c.Weights is not null);
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void MatchesPyTorch(string name)
    {
        LossCase c = File.Value.Cases.Single(x => x.Name == name);
        float[] logits = c.Logits.Select(v => (float)v).ToArray();
        Reduction reduction = Enum.Parse<Reduction>(c.Reduction, ignoreCase: true);
        var gradient = new float[logits.Length];
        double loss;
        float[] rowLosses;
        if (c.Kind == "bce")
        {
            var bce = new BinaryCrossEntropyWithLogits(c.Weights?.Select(v => (float)v).ToArray(), c.PositiveWeights?.Select(v => (float)v).ToArray(), reduction);
            float[] targets = c.Probabilities!.Select(v => (float)v).ToArray();
            rowLosses = new float[logits.Length];
            loss = bce.Forward(logits, targets, c.Classes, rowLosses);
            Assert.Equal(loss, bce.ForwardBackward(logits, targets, c.Classes, gradient));
        }
        else
        {
            var ce = new SoftmaxCrossEntropy(new CrossEntropyOptions
            {
                Weights = c.Weights?.Select(v => (float)v).ToArray(),
                IgnoreIndex = c.IgnoreIndex,
                LabelSmoothing = c.LabelSmoothing,
                Reduction = reduction,
            });
            rowLosses = new float[c.Rows];
            if (c.Targets is { } targets)
            {
                loss = ce.Forward(logits, targets, c.Rows, c.Classes, rowLosses);
                AssertSame(loss, ce.ForwardBackward(logits, targets, c.Rows, c.Classes, gradient));
            }
            else
            {
                float[] q = c.Probabilities!.Select(v => (float)v).ToArray();
                loss = ce.ForwardProbabilities(logits, q, c.Rows, c.Classes, rowLosses);
                AssertSame(loss, ce.ForwardBackwardProbabilities(logits, q, c.Rows, c.Classes, gradient));
            }
            AssertClose(c.RowLosses!, ToDouble(rowLosses), Relative, Absolute, $"{name}: per-row losses");
        }

        if (c.Loss.ValueKind == JsonValueKind.Array)
        {
            double[] expected = c.Loss.EnumerateArray().Select(ReadNumber).ToArray();
            AssertClose(expected, ToDouble(rowLosses), Relative, Absolute, $"{name}: losses (reduction none)");
            AssertClose(expected.Sum(), loss, Relative, Absolute, $"{name}: sum of the unreduced losses");
        }
        else
        {
            AssertClose(ReadNumber(c.Loss), loss, Relative, Absolute, $"{name}: loss");
        }
        AssertClose(c.Gradient, ToDouble(gradient), Relative, Absolute, $"{name}: gradient");
        Assert.DoesNotContain(gradient, float.IsNaN);
    }

    // Forward and the fused ForwardBackward report the same loss (the fused path's vectorised exp may differ in the last bit).
    private static void AssertSame(double expected, double actual)
    {
        if (double.IsNaN(expected)) Assert.True(double.IsNaN(actual));
        else AssertClose(expected, actual, 1e-6, 1e-7, "Forward against ForwardBackward");
    }

    private static double ReadNumber(JsonElement e) => e.ValueKind == JsonValueKind.String
        ? e.GetString() switch { "NaN" => double.NaN, "Infinity" => double.PositiveInfinity, "-Infinity" => double.NegativeInfinity, var s => double.Parse(s!, System.Globalization.CultureInfo.InvariantCulture) }
        : e.GetDouble();
}
