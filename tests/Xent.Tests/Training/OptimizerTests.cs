using Xent.Layers;
using Xent.Optimizers;
using Xent.Tests.Reference;
using static Xent.Tests.Numerical;

namespace Xent.Tests.Training;

/// <summary>Three steps of each optimizer against PyTorch (Reference/optimizer_reference.json) and against hand calculations.</summary>
public class OptimizerTests
{
    public sealed record OptimizerCase(string Name, Dictionary<string, System.Text.Json.JsonElement> Options, double[][] Steps);
    public sealed record OptimizerFile(double[] Theta, double[] C, double[] B, OptimizerCase[] Cases);

    private static readonly Lazy<OptimizerFile> File = new(() => ReferenceData.Load<OptimizerFile>("optimizer_reference.json"));

    public static TheoryData<string> Names() => new(File.Value.Cases.Select(c => c.Name));

    [Theory]
    [MemberData(nameof(Names))]
    public void ThreeStepsMatchPyTorch(string name)
    {
        OptimizerFile f = File.Value;
        OptimizerCase c = f.Cases.Single(x => x.Name == name);
        float Get(string key, float fallback) => c.Options.TryGetValue(key, out var v) ? v.GetSingle() : fallback;
        var p = new Parameter("theta", [f.Theta.Length]);
        for (int i = 0; i < p.Length; i++) p.Value[i] = (float)f.Theta[i];
        IOptimizer optimizer = name.StartsWith("sgd")
            ? new Sgd([p], Get("lr", 0), Get("momentum", 0), c.Options.ContainsKey("nesterov"), Get("weight_decay", 0))
            : new Adam([p], Get("lr", 0), c.Options.TryGetValue("betas", out var betas) ? betas[0].GetSingle() : 0.9f,
                c.Options.TryGetValue("betas", out var b2) ? b2[1].GetSingle() : 0.999f, Get("eps", 1e-8f),
                Get("weight_decay", name == "adamw" ? 0.01f : 0), decoupledWeightDecay: name == "adamw");
        for (int step = 0; step < 3; step++)
        {
            // gradient of Σ ½·c·θ² + b·θ
            for (int i = 0; i < p.Length; i++) p.Gradient[i] = (float)(f.C[i] * p.Value[i] + f.B[i]);
            optimizer.Step();
            AssertClose(c.Steps[step], ToDouble(p.Value), 1e-5, 1e-6, $"{name} after step {step + 1}");
        }
    }

    [Fact]
    public void AdamFirstStepByHand()
    {
        // At t = 1 the bias corrections cancel: m̂ = g, v̂ = g², so θ moves by η·g/(|g| + ε) ≈ η·sign(g).
        var p = new Parameter("p", [2]);
        p.Value[0] = 1; p.Value[1] = -1;
        p.Gradient[0] = 0.3f; p.Gradient[1] = -4f;
        new Adam([p], learningRate: 0.1f).Step();
        AssertClose([0.9, -0.9], ToDouble(p.Value), 1e-6, 1e-6);
    }

    [Fact]
    public void NesterovStepByHand()
    {
        // v = g = 1 on the first step; θ ← θ − η·(g + μ·v) = 0 − 0.1·(1 + 0.9) = −0.19.
        var p = new Parameter("p", [1]);
        p.Gradient[0] = 1;
        new Sgd([p], 0.1f, momentum: 0.9f, nesterov: true).Step();
        Assert.Equal(-0.19f, p.Value[0], 6);
    }

    [Fact]
    public void SchedulesFollowTheirFormulas()
    {
        var step = new LearningRateSchedule(ScheduleKind.Step, 1f, 100, stepSize: 10, gamma: 0.5f);
        step.EpochEnded(9, 0); Assert.Equal(1f, step.Current);
        step.EpochEnded(10, 0); Assert.Equal(0.5f, step.Current);
        step.EpochEnded(25, 0); Assert.Equal(0.25f, step.Current);
        var cosine = new LearningRateSchedule(ScheduleKind.Cosine, 1f, 100, minimum: 0f);
        cosine.EpochEnded(50, 0); Assert.Equal(0.5f, cosine.Current, 6);
        cosine.EpochEnded(100, 0); Assert.Equal(0f, cosine.Current, 6);
        var plateau = new LearningRateSchedule(ScheduleKind.ReduceOnPlateau, 1f, 100, plateauPatience: 2, plateauFactor: 0.1f);
        plateau.EpochEnded(1, 1.0); plateau.EpochEnded(2, 1.0); plateau.EpochEnded(3, 1.0);
        Assert.Equal(1f, plateau.Current);
        plateau.EpochEnded(4, 1.0); // third epoch without improvement: more than the patience of 2
        Assert.Equal(0.1f, plateau.Current, 6);
    }
}
