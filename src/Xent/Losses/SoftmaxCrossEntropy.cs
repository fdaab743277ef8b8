using System.Numerics.Tensors;
using Xent.Numerics;

namespace Xent.Losses;

/// <summary>
/// Softmax cross entropy on logits with class-index targets, with PyTorch's <c>CrossEntropyLoss</c> semantics.
/// With log p the log-softmax of a row (row maximum subtracted), ε the label smoothing and w the class weights:
/// ℓn = (1−ε)·w[yn]·(−log p[n,yn]) + (ε/C)·Σc w[c]·(−log p[n,c]), 0 for ignored rows;
/// <c>mean</c> divides the sum by Σ w[yn] over the rows not ignored.
/// </summary>
public sealed class SoftmaxCrossEntropy : IClassificationLoss
{
    /// <summary>The loss with the given options.</summary>
    /// <param name="options">Class weights, ignore index, label smoothing and reduction; null for PyTorch's defaults.</param>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public SoftmaxCrossEntropy(CrossEntropyOptions? options = null)
    {
        Options = options ?? new CrossEntropyOptions();
        Options.Validate();
    }

    /// <summary>The options the loss was built with.</summary>
    public CrossEntropyOptions Options { get; }


    /// <inheritdoc/>
    public double Forward(ReadOnlySpan<float> logits, ReadOnlySpan<int> targets, int batch, int classes, Span<float> rowLosses)
    {
        Check(logits, targets, batch, classes);
        double sum = 0, denominator = 0;
        for (int n = 0; n < batch; n++)
        {
            double loss = RowLoss(logits.Slice(n * classes, classes), targets[n], n, out double weight);
            if (!rowLosses.IsEmpty) rowLosses[n] = (float)loss;
            sum += loss;
            denominator += weight;
        }
        return Reduce(sum, denominator);
    }

    // logits [batch, classes], targets [batch] -> logitsGrad [batch, classes]
    /// <summary>
    /// The fused softmax-cross-entropy backward: ∂loss/∂logits = [(1−ε)·w[y]·(p − onehot) + (ε/C)·(p·Σw − w)] / denominator,
    /// where denominator is Σ w[yn] for <c>mean</c> and 1 otherwise; zero for ignored rows. Returns the reduced loss.
    /// </summary>
    /// <param name="logits">Row-major [batch, classes] logits (never probabilities).</param>
    /// <param name="targets">[batch] class indices.</param>
    /// <param name="batch">The number of rows.</param>
    /// <param name="classes">The number of classes.</param>
    /// <param name="logitsGrad">Receives ∂loss/∂logits, [batch, classes].</param>
    /// <returns>The reduced loss.</returns>
    /// <exception cref="ArgumentException">A target is outside [0, classes) and not the ignore index, or a span is too short.</exception>
    public double ForwardBackward(ReadOnlySpan<float> logits, ReadOnlySpan<int> targets, int batch, int classes, Span<float> logitsGrad)
    {
        Check(logits, targets, batch, classes);
        if (logitsGrad.Length < batch * classes) throw new ArgumentException($"needs {batch * classes} elements", nameof(logitsGrad));
        float[]? w = Options.Weights;
        if (w is not null && w.Length != classes) throw new ArgumentException($"Weights has {w.Length} values but the logits have {classes} classes", nameof(logits));
        if (w is null && Options.LabelSmoothing == 0) return PlainForwardBackward(logits, targets, batch, classes, logitsGrad);
        return WeightedForwardBackward(logits, targets, batch, classes, logitsGrad);
    }

    // The general path: class weights, label smoothing, and rows with infinite or NaN logits.
    private double WeightedForwardBackward(ReadOnlySpan<float> logits, ReadOnlySpan<int> targets, int batch, int classes, Span<float> logitsGrad)
    {
        float[]? w = Options.Weights;
        float epsilon = Options.LabelSmoothing;
        double weightSum = w is null ? classes : w.Sum(v => (double)v);
        double sum = 0, denominator = 0;
        for (int n = 0; n < batch; n++)
        {
            ReadOnlySpan<float> x = logits.Slice(n * classes, classes);
            Span<float> g = logitsGrad.Slice(n * classes, classes);
            int y = targets[n];
            double loss = RowLoss(x, y, n, out double rowWeight);
            sum += loss;
            denominator += rowWeight;
            if (y == Options.IgnoreIndex) { g.Clear(); continue; }
            // p = softmax(x), written straight into the gradient row
            Softmax.Rows(x, 1, classes, g);
            float wy = w?[y] ?? 1f;
            for (int c = 0; c < classes; c++)
            {
                float p = g[c];
                float wc = w?[c] ?? 1f;
                // (1−ε)·w[y]·(p − onehot) + (ε/C)·(p·Σw − w[c])
                double grad = (1 - epsilon) * wy * (p - (c == y ? 1 : 0));
                if (epsilon > 0) grad += epsilon / classes * (p * weightSum - wc);
                g[c] = (float)grad;
            }
        }
        double scale = Options.Reduction == Reduction.Mean ? 1.0 / denominator : 1.0;
        if (Options.Reduction == Reduction.Mean && denominator == 0) scale = 0; // every row ignored: loss NaN, gradient zero
        if (scale != 1.0)
            for (int i = 0; i < batch * classes; i++) logitsGrad[i] = (float)(logitsGrad[i] * scale);
        return Reduce(sum, denominator);
    }

    // logits [batch, classes], targetProbabilities [batch, classes] -> rowLosses [batch]; returns the reduced loss
    /// <summary>
    /// Cross entropy against class probabilities (soft targets): with q = (1−ε)·t + ε/C,
    /// ℓn = −Σc w[c]·q[n,c]·log p[n,c]; <c>mean</c> divides by the number of rows. A class with q = 0 contributes 0
    /// even when its probability is 0 (the limit 0·log 0 = 0).
    /// </summary>
    /// <param name="logits">Row-major [batch, classes] logits.</param>
    /// <param name="targetProbabilities">Row-major [batch, classes] target probabilities, each row summing to 1.</param>
    /// <param name="batch">The number of rows.</param>
    /// <param name="classes">The number of classes.</param>
    /// <param name="rowLosses">Receives [batch] per-row losses; empty to skip them.</param>
    /// <returns>The reduced loss.</returns>
    public double ForwardProbabilities(ReadOnlySpan<float> logits, ReadOnlySpan<float> targetProbabilities, int batch, int classes, Span<float> rowLosses)
    {
        CheckProbabilities(logits, targetProbabilities, batch, classes);
        double sum = 0;
        for (int n = 0; n < batch; n++)
        {
            ReadOnlySpan<float> x = logits.Slice(n * classes, classes);
            ReadOnlySpan<float> t = targetProbabilities.Slice(n * classes, classes);
            double logSumExp = LogSumExp(x);
            double loss = 0;
            for (int c = 0; c < classes; c++)
            {
                double q = SmoothedTarget(t[c], classes);
                // −log p[c] = logsumexp(x) − x[c]
                if (q != 0) loss += (Options.Weights?[c] ?? 1.0) * q * (logSumExp - x[c]);
            }
            if (!rowLosses.IsEmpty) rowLosses[n] = (float)loss;
            sum += loss;
        }
        return Options.Reduction == Reduction.Mean ? sum / batch : sum;
    }

    // logits [batch, classes], targetProbabilities [batch, classes] -> logitsGrad [batch, classes]
    /// <summary>
    /// The fused backward for soft targets: ∂ℓn/∂x[j] = p[j]·Σc w[c]·q[c] − w[j]·q[j], divided by the number of rows
    /// for <c>mean</c>. Returns the reduced loss.
    /// </summary>
    /// <param name="logits">Row-major [batch, classes] logits.</param>
    /// <param name="targetProbabilities">Row-major [batch, classes] target probabilities, each row summing to 1.</param>
    /// <param name="batch">The number of rows.</param>
    /// <param name="classes">The number of classes.</param>
    /// <param name="logitsGrad">Receives ∂loss/∂logits, [batch, classes].</param>
    /// <returns>The reduced loss.</returns>
    public double ForwardBackwardProbabilities(ReadOnlySpan<float> logits, ReadOnlySpan<float> targetProbabilities, int batch, int classes, Span<float> logitsGrad)
    {
        CheckProbabilities(logits, targetProbabilities, batch, classes);
        if (logitsGrad.Length < batch * classes) throw new ArgumentException($"needs {batch * classes} elements", nameof(logitsGrad));
        double loss = ForwardProbabilities(logits, targetProbabilities, batch, classes, Span<float>.Empty);
        double scale = Options.Reduction == Reduction.Mean ? 1.0 / batch : 1.0;
        for (int n = 0; n < batch; n++)
        {
            ReadOnlySpan<float> t = targetProbabilities.Slice(n * classes, classes);
            Span<float> g = logitsGrad.Slice(n * classes, classes);
            Softmax.Rows(logits.Slice(n * classes, classes), 1, classes, g);
            double weightedMass = 0;
            for (int c = 0; c < classes; c++) weightedMass += (Options.Weights?[c] ?? 1.0) * SmoothedTarget(t[c], classes);
            for (int c = 0; c < classes; c++)
            {
                double wq = (Options.Weights?[c] ?? 1.0) * SmoothedTarget(t[c], classes);
                g[c] = (float)((g[c] * weightedMass - wq) * scale);
            }
        }
        return loss;
    }

    // q = (1 − ε)·t + ε/C
    private double SmoothedTarget(float t, int classes) =>
        Options.LabelSmoothing == 0 ? t : (1 - Options.LabelSmoothing) * (double)t + Options.LabelSmoothing / (double)classes;

    private void CheckProbabilities(ReadOnlySpan<float> logits, ReadOnlySpan<float> targets, int batch, int classes)
    {
        if (classes < 1) throw new ArgumentOutOfRangeException(nameof(classes));
        if (batch < 0) throw new ArgumentOutOfRangeException(nameof(batch));
        if (logits.Length < batch * classes) throw new ArgumentException($"needs {batch * classes} logits, has {logits.Length}", nameof(logits));
        if (targets.Length < batch * classes) throw new ArgumentException($"needs {batch * classes} target probabilities, has {targets.Length}", nameof(targets));
        if (Options.Weights is { } w && w.Length != classes) throw new ArgumentException($"Weights has {w.Length} values but the logits have {classes} classes", nameof(logits));
    }

    // The common case (no class weights, no smoothing) in one pass per row with no library calls: this runs every training step.
    // ℓn = logsumexp(x) − x[y]; ∂ℓn/∂x = p − onehot(y), scaled by 1/(rows not ignored) for mean.
    private double PlainForwardBackward(ReadOnlySpan<float> logits, ReadOnlySpan<int> targets, int batch, int classes, Span<float> logitsGrad)
    {
        int total = batch * classes;
        Span<float> g = logitsGrad[..total];
        // Pass 1: check the targets, subtract each row's maximum (so exp cannot overflow) into the gradient buffer, and sum
        // the loss's max − x[y] part. Nothing is kept between calls, so one loss object can serve several threads.
        int counted = 0;
        double sum = 0;
        for (int n = 0, o = 0; n < batch; n++, o += classes)
        {
            int y = targets[n];
            if (y != Options.IgnoreIndex)
            {
                if ((uint)y >= (uint)classes)
                    throw new ArgumentException($"row {n}: target {y} is outside [0, {classes}) and is not the ignore index {Options.IgnoreIndex}", "targets");
                counted++;
            }
            ReadOnlySpan<float> x = logits.Slice(o, classes);
            Span<float> shifted = g.Slice(o, classes);
            float max = x[0];
            for (int c = 1; c < x.Length; c++) if (x[c] > max) max = x[c];
            // Rows whose maximum is ±∞ or NaN take the general path's semantics.
            if (!float.IsFinite(max)) return WeightedForwardBackward(logits, targets, batch, classes, logitsGrad);
            if (y != Options.IgnoreIndex) sum += max - x[y];
            for (int c = 0; c < x.Length; c++) shifted[c] = x[c] - max;
        }
        bool mean = Options.Reduction == Reduction.Mean;
        if (mean && counted == 0) { g.Clear(); return double.NaN; }
        float scale = mean ? 1f / counted : 1f;
        // Pass 2: one vectorised exp over the whole batch.
        TensorPrimitives.Exp(g, g);
        // Pass 3: p = e / Σe, gradient (p − onehot)·scale, and the loss Σ [max + log Σe − x[y]].
        // Each Σe lies in [1, C], so their product is kept and its logarithm taken only before it could overflow:
        // one log per several hundred rows instead of one per row.
        double product = 1, logs = 0;
        for (int n = 0, o = 0; n < batch; n++, o += classes)
        {
            Span<float> row = g.Slice(o, classes);
            int y = targets[n];
            if (y == Options.IgnoreIndex) { row.Clear(); continue; }
            float expSumF = 0;
            for (int c = 0; c < row.Length; c++) expSumF += row[c];
            // Each e^(x − max) ≤ 1 with one equal to 1, so a float sum of a few terms loses nothing that matters here.
            double expSum = expSumF;
            product *= expSum;
            if (product > 1e280) { logs += Math.Log(product); product = 1; }
            float factor = scale / expSumF;
            for (int c = 0; c < row.Length; c++) row[c] *= factor;
            row[y] -= scale;
        }
        sum += logs + Math.Log(product);
        return mean ? sum / counted : sum;
    }

    private double Reduce(double sum, double denominator) => Options.Reduction switch
    {
        Reduction.Mean => denominator == 0 ? double.NaN : sum / denominator,
        _ => sum,
    };

    // One row's loss; rowWeight is its share of the mean's denominator (w[y], or 0 when ignored).
    private double RowLoss(ReadOnlySpan<float> x, int y, int row, out double rowWeight)
    {
        rowWeight = 0;
        if (y == Options.IgnoreIndex) return 0;
        int classes = x.Length;
        if ((uint)y >= (uint)classes)
            throw new ArgumentException($"row {row}: target {y} is outside [0, {classes}) and is not the ignore index {Options.IgnoreIndex}", "targets");
        float[]? w = Options.Weights;
        float epsilon = Options.LabelSmoothing;
        double logSumExp = LogSumExp(x);
        double wy = w?[y] ?? 1.0;
        rowWeight = wy;
        // −log p[y] = logsumexp(x) − x[y]
        double loss = (1 - epsilon) * wy * (logSumExp - x[y]);
        if (epsilon > 0)
        {
            double smooth = 0;
            for (int c = 0; c < classes; c++) smooth += (w?[c] ?? 1.0) * (logSumExp - x[c]);
            loss += epsilon / classes * smooth;
        }
        return loss;
    }

    private static double LogSumExp(ReadOnlySpan<float> x) => Softmax.LogSumExpDouble(x);

    private void Check(ReadOnlySpan<float> logits, ReadOnlySpan<int> targets, int batch, int classes)
    {
        if (classes < 1) throw new ArgumentOutOfRangeException(nameof(classes));
        if (batch < 0) throw new ArgumentOutOfRangeException(nameof(batch));
        if (logits.Length < batch * classes) throw new ArgumentException($"needs {batch * classes} logits, has {logits.Length}", nameof(logits));
        if (targets.Length < batch) throw new ArgumentException($"needs {batch} targets, has {targets.Length}", nameof(targets));
        if (Options.Weights is { } w && w.Length != classes) throw new ArgumentException($"Weights has {w.Length} values but the logits have {classes} classes", nameof(logits));
    }
}
