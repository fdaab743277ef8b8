using Xent.Optimizers;

namespace Xent.Tests.Training;

/// <summary>
/// An optimizer that cancels a token right after its given step: a deterministic interrupt between two batches, as
/// Ctrl-C there would be.
/// </summary>
internal sealed class CancellingOptimizer(IOptimizer inner, CancellationTokenSource cancel, int after) : IOptimizer
{
    public float LearningRate { get => inner.LearningRate; set => inner.LearningRate = value; }
    public long StepCount { get => inner.StepCount; set => inner.StepCount = value; }
    public IReadOnlyList<(string Name, float[] Buffer)> State => inner.State;

    public void Step()
    {
        inner.Step();
        if (inner.StepCount == after) cancel.Cancel();
    }
}
