namespace Xent.Losses;

/// <summary>A loss head that takes logits and class-index targets.</summary>
public interface IClassificationLoss
{
    // logits [batch, classes], targets [batch] -> the reduced loss; logitsGrad [batch, classes] = ∂loss/∂logits
    /// <summary>The reduced loss and, fused with it, its gradient with respect to the logits.</summary>
    double ForwardBackward(ReadOnlySpan<float> logits, ReadOnlySpan<int> targets, int batch, int classes, Span<float> logitsGrad);

    // logits [batch, classes], targets [batch] -> rowLosses [batch]; returns the reduced loss
    /// <summary>The per-row losses and the reduced loss, without a gradient.</summary>
    double Forward(ReadOnlySpan<float> logits, ReadOnlySpan<int> targets, int batch, int classes, Span<float> rowLosses);
}
