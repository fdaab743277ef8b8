namespace Xent.Optimizers;

/// <summary>Updates parameters in place from their accumulated gradients.</summary>
public interface IOptimizer
{
    /// <summary>The learning rate used by the next <see cref="Step"/>; schedules change it between steps.</summary>
    float LearningRate { get; set; }

    /// <summary>How many steps have been taken (Adam's bias correction depends on it).</summary>
    long StepCount { get; set; }

    /// <summary>
    /// The optimizer's internal buffers by name (e.g. <c>hidden1.weight.momentum</c>), live: a checkpoint saves them and
    /// copies them back to resume exactly.
    /// </summary>
    IReadOnlyList<(string Name, float[] Buffer)> State { get; }

    /// <summary>One update of every parameter from its current gradient.</summary>
    void Step();
}
