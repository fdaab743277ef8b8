namespace Xent.Losses;

/// <summary>A loss head that takes logits and class-index targets.</summary>
public interface IClassificationLoss
{
    // logits [batch, classes], targets [batch] -> the reduced loss; logitsGrad [batch, classes] = ∂loss/∂logits
    /// <summary>The reduced loss and, fused with it, its gradient with respect to the logits.</summary>
    /// <param name="logits">Row-major [batch, classes] logits (never probabilities).</param>
    /// <param name="targets">[batch] class indices.</param>
    /// <param name="batch">The number of rows.</param>
    /// <param name="classes">The number of classes.</param>
    /// <param name="logitsGrad">Receives ∂loss/∂logits, [batch, classes].</param>
    /// <returns>The reduced loss.</returns>
    double ForwardBackward(ReadOnlySpan<float> logits, ReadOnlySpan<int> targets, int batch, int classes, Span<float> logitsGrad);

    // logits [batch, classes], targets [batch] -> rowLosses [batch]; returns the reduced loss
    /// <summary>The per-row losses and the reduced loss, without a gradient.</summary>
    /// <param name="logits">Row-major [batch, classes] logits (never probabilities).</param>
    /// <param name="targets">[batch] class indices.</param>
    /// <param name="batch">The number of rows.</param>
    /// <param name="classes">The number of classes.</param>
    /// <param name="rowLosses">Receives [batch] per-row losses; empty to skip them.</param>
    /// <returns>The reduced loss.</returns>
    double Forward(ReadOnlySpan<float> logits, ReadOnlySpan<int> targets, int batch, int classes, Span<float> rowLosses);
}
