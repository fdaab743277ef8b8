using Xent.Data;
using Xent.Layers;
using Xent.Losses;
using Xent.Numerics;
using Xent.Optimizers;

namespace Xent.Training;

/// <summary>
/// Mini-batch (or full-batch) gradient descent: each epoch reshuffles the training rows from the seed, and each
/// batch runs forward, the fused loss backward, backpropagation and one optimizer step. Buffers are sized once,
/// so steady-state steps allocate nothing.
/// </summary>
public sealed class Trainer
{
    private readonly Network _network;
    private readonly IClassificationLoss _loss;
    private readonly IOptimizer _optimizer;
    private readonly TrainerOptions _options;

    public Trainer(Network network, IClassificationLoss loss, IOptimizer optimizer, TrainerOptions options)
    {
        options.Validate();
        _network = network;
        _loss = loss;
        _optimizer = optimizer;
        _options = options;
    }

    /// <summary>A trainer with gradient descent (learning rate and momentum from <paramref name="options"/>) and cross entropy.</summary>
    public static Trainer Create(Network network, TrainerOptions options) =>
        new(network, new SoftmaxCrossEntropy(), new Sgd(network.Parameters, options.LearningRate, options.Momentum), options);

    public TrainingResult Fit(Dataset train, Dataset? validation = null, IProgress<EpochReport>? progress = null, CancellationToken cancellationToken = default)
    {
        if (train.FeatureCount != _network.InputCount)
            throw new ArgumentException($"the data has {train.FeatureCount} features but the network takes {_network.InputCount}", nameof(train));
        if (train.RowCount == 0) throw new ArgumentException("the training data has no rows", nameof(train));
        int rows = train.RowCount, features = train.FeatureCount, classes = _network.ClassCount;
        int batchSize = _options.BatchSize == 0 ? rows : Math.Min(_options.BatchSize, rows);
        var random = new RandomSource(_options.Seed ^ 0x5EED_0F_5A11L);
        int[] order = Enumerable.Range(0, rows).ToArray();
        var batchFeatures = new float[batchSize * features];
        var batchLabels = new int[batchSize];
        var logitsGrad = new float[batchSize * classes];
        _network.EnsureCapacity(batchSize);

        var history = new List<double>(_options.Epochs);
        var validationHistory = new List<double>();
        double best = double.PositiveInfinity;
        int sinceBest = 0;
        StopReason reason = StopReason.MaxEpochs;
        int epoch = 0;
        while (epoch < _options.Epochs)
        {
            if (cancellationToken.IsCancellationRequested) { reason = StopReason.Cancelled; break; }
            epoch++;
            if (batchSize < rows) random.Shuffle(order);
            double lossSum = 0;
            for (int start = 0; start < rows; start += batchSize)
            {
                int batch = Math.Min(batchSize, rows - start);
                ReadOnlySpan<float> x;
                ReadOnlySpan<int> y;
                if (batch == rows && batchSize == rows)
                {
                    // Full batch: the data set's own buffers, no copy.
                    x = train.Features;
                    y = train.Labels;
                }
                else
                {
                    for (int i = 0; i < batch; i++)
                    {
                        int row = order[start + i];
                        train.Features.AsSpan(row * features, features).CopyTo(batchFeatures.AsSpan(i * features, features));
                        batchLabels[i] = train.Labels[row];
                    }
                    x = batchFeatures.AsSpan(0, batch * features);
                    y = batchLabels.AsSpan(0, batch);
                }
                lossSum += Step(x, y, batch, logitsGrad) * batch;
            }
            double epochLoss = lossSum / rows;
            history.Add(epochLoss);
            double? validationLoss = null, validationAccuracy = null;
            if (validation is { RowCount: > 0 })
            {
                (double vl, double va) = Evaluation.LossAndAccuracy(_network, validation);
                validationLoss = vl;
                validationAccuracy = va;
                validationHistory.Add(vl);
            }
            progress?.Report(new EpochReport(epoch, _options.Epochs, epochLoss, validationLoss, validationAccuracy));
            if (!double.IsFinite(epochLoss)) { reason = StopReason.NonFiniteLoss; break; }
            // Predictions stopped improving: no drop larger than the tolerance for Patience epochs in a row.
            if (epochLoss < best - _options.Tolerance) sinceBest = 0;
            else if (++sinceBest >= _options.Patience) { reason = StopReason.NoImprovement; if (epochLoss < best) best = epochLoss; break; }
            if (epochLoss < best) best = epochLoss;
        }
        return new TrainingResult { Epochs = epoch, StopReason = reason, LossHistory = history, ValidationLossHistory = validationHistory };
    }

    // x [batch, features], y [batch]; logitsGrad is scratch of at least [batch, classes]. Returns the batch's loss.
    /// <summary>One gradient step on one batch: zero the gradients, forward, fused loss backward, backpropagate, update.</summary>
    public double Step(ReadOnlySpan<float> x, ReadOnlySpan<int> y, int batch, Span<float> logitsGrad)
    {
        _network.ZeroGrad();
        ReadOnlySpan<float> logits = _network.Forward(x, batch);
        double loss = _loss.ForwardBackward(logits, y, batch, _network.ClassCount, logitsGrad);
        _network.Backward(x, logitsGrad, batch);
        _optimizer.Step();
        return loss;
    }
}
