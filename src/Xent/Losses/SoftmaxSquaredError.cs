using Xent.Numerics;

namespace Xent.Losses;

/// <summary>
/// The squared residual between the softmax probabilities and the one-hot target,
/// ℓn = Σc (p[n,c] − onehot[n,c])², averaged over the rows (or summed). It is here so that it can be
/// compared with cross entropy: its slope for a confidently wrong prediction is bounded, cross entropy's is not.
/// </summary>
/// <param name="reduction">Mean over the rows or sum (None sums where one number is needed).</param>
public sealed class SoftmaxSquaredError(Reduction reduction = Reduction.Mean) : IClassificationLoss
{
    /// <summary>How the row losses are combined.</summary>
    public Reduction Reduction { get; } = reduction;

    /// <inheritdoc/>
    public double Forward(ReadOnlySpan<float> logits, ReadOnlySpan<int> targets, int batch, int classes, Span<float> rowLosses)
    {
        Span<float> p = classes <= 256 ? stackalloc float[classes] : new float[classes];
        double sum = 0;
        for (int n = 0; n < batch; n++)
        {
            int y = CheckTarget(targets[n], classes, n);
            Softmax.Rows(logits.Slice(n * classes, classes), 1, classes, p);
            double loss = 0;
            for (int c = 0; c < classes; c++)
            {
                double r = p[c] - (c == y ? 1 : 0);
                loss += r * r;
            }
            if (!rowLosses.IsEmpty) rowLosses[n] = (float)loss;
            sum += loss;
        }
        return Reduction == Reduction.Mean ? sum / batch : sum;
    }

    // logits [batch, classes], targets [batch] -> logitsGrad [batch, classes]
    /// <summary>
    /// With g = ∂ℓ/∂p = 2(p − onehot), the softmax Jacobian gives ∂ℓ/∂x[j] = p[j]·(g[j] − Σc g[c]·p[c]);
    /// divided by the batch size for <c>mean</c>.
    /// </summary>
    /// <param name="logits">Row-major [batch, classes] logits (never probabilities).</param>
    /// <param name="targets">[batch] class indices.</param>
    /// <param name="batch">The number of rows.</param>
    /// <param name="classes">The number of classes.</param>
    /// <param name="logitsGrad">Receives ∂loss/∂logits, [batch, classes].</param>
    /// <returns>The reduced loss.</returns>
    public double ForwardBackward(ReadOnlySpan<float> logits, ReadOnlySpan<int> targets, int batch, int classes, Span<float> logitsGrad)
    {
        double sum = 0;
        double scale = Reduction == Reduction.Mean ? 1.0 / batch : 1.0;
        for (int n = 0; n < batch; n++)
        {
            int y = CheckTarget(targets[n], classes, n);
            Span<float> g = logitsGrad.Slice(n * classes, classes);
            Softmax.Rows(logits.Slice(n * classes, classes), 1, classes, g);
            double loss = 0, dot = 0;
            for (int c = 0; c < classes; c++)
            {
                double r = g[c] - (c == y ? 1 : 0);
                loss += r * r;
                dot += 2 * r * g[c];
            }
            for (int c = 0; c < classes; c++)
            {
                double p = g[c];
                double r = p - (c == y ? 1 : 0);
                g[c] = (float)(p * (2 * r - dot) * scale);
            }
            sum += loss;
        }
        return Reduction == Reduction.Mean ? sum / batch : sum;
    }

    private static int CheckTarget(int y, int classes, int row) =>
        (uint)y < (uint)classes ? y : throw new ArgumentException($"row {row}: target {y} is outside [0, {classes})", "targets");
}
