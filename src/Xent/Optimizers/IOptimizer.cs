using Xent.Layers;

namespace Xent.Optimizers;

/// <summary>Updates parameters in place from their accumulated gradients.</summary>
public interface IOptimizer
{
    /// <summary>The learning rate used by the next <see cref="Step"/>; schedules change it between steps.</summary>
    float LearningRate { get; set; }

    /// <summary>One update of every parameter from its current gradient.</summary>
    void Step();
}
