using System.Numerics.Tensors;
using Xent.Data;
using Xent.Layers;
using Xent.Losses;
using Xent.Numerics;
using Xent.Optimizers;

namespace Xent.Training;

/// <summary>
/// Mini-batch (or full-batch) gradient descent: each epoch reshuffles the training rows from the seed, and each batch
/// runs forward, the fused loss backward, backpropagation, optional gradient clipping and one optimizer step; after the
/// epoch the schedule sets the next learning rate and early stopping looks at the validation data. Buffers are sized
/// once, so steady-state steps allocate nothing. The trainer's whole state (epoch, generator, optimizer buffers,
/// schedule, best weights) can be captured and restored, so a resumed run continues bit for bit.
/// </summary>
public sealed class Trainer
{
    private readonly Network _network;
    private readonly IClassificationLoss _loss;
    private readonly TrainerOptions _options;
    private readonly Parameter[] _parameters;
    private readonly FusedTinyStep? _fused;
    private readonly BatchGather _gather = new();
    private RandomSource _random;
    private readonly List<double> _history = [];
    private readonly List<double> _validationLoss = [];
    private readonly List<double> _validationAccuracy = [];
    private readonly List<double> _trainAccuracy = [];
    private int _lastStepCorrect;
    private readonly float[][] _bestWeights;
    private double _best = double.NaN;
    private int _bestEpoch;
    private int _sinceBest;
    // Where an interrupted epoch stands: the generator's state before its shuffle, the next batch's first row, and the
    // loss and correct count of the batches already taken.
    private bool _inEpoch;
    private ulong[] _epochRandomState = [];
    private int _batchStart;
    private double _epochLossSum;
    private int _epochCorrect;

    public Trainer(Network network, TrainerOptions options)
        : this(network, CreateLoss(options), CreateOptimizer(network, options), options)
    {
    }

    public Trainer(Network network, IClassificationLoss loss, IOptimizer optimizer, TrainerOptions options)
    {
        options.Validate();
        _network = network;
        _loss = loss;
        Optimizer = optimizer;
        _options = options;
        _parameters = network.Parameters.ToArray();
        _fused = FusedTinyStep.TryCreate(network, loss);
        _random = new RandomSource(options.Seed ^ 0x5EED0F5A11L);
        _bestWeights = _parameters.Select(p => new float[p.Length]).ToArray();
        Schedule = new LearningRateSchedule(options.Schedule, options.LearningRate, options.Epochs, options.ScheduleStepSize,
            options.ScheduleGamma, options.MinimumLearningRate, options.PlateauPatience, options.ScheduleGamma);
    }

    /// <summary>A trainer with the optimizer, loss and schedule that <paramref name="options"/> name.</summary>
    public static Trainer Create(Network network, TrainerOptions options) => new(network, options);

    public Network Network => _network;
    public IOptimizer Optimizer { get; }
    public LearningRateSchedule Schedule { get; }
    public TrainerOptions Options => _options;

    /// <summary>Epochs completed so far.</summary>
    public int Epoch { get; private set; }

    /// <summary>Called after every completed epoch (for checkpoints); the trainer's state is consistent there.</summary>
    public Action<Trainer>? EpochCompleted { get; set; }

    public static IClassificationLoss CreateLoss(TrainerOptions options) =>
        new SoftmaxCrossEntropy(new CrossEntropyOptions { Weights = options.ClassWeights, LabelSmoothing = options.LabelSmoothing });

    public static IOptimizer CreateOptimizer(Network network, TrainerOptions options) => options.Optimizer switch
    {
        OptimizerKind.Sgd => new Sgd(network.Parameters, options.LearningRate, options.Momentum, options.Nesterov, options.WeightDecay),
        OptimizerKind.Adam => new Adam(network.Parameters, options.LearningRate, options.Beta1, options.Beta2, options.AdamEpsilon, options.WeightDecay),
        OptimizerKind.AdamW => new Adam(network.Parameters, options.LearningRate, options.Beta1, options.Beta2, options.AdamEpsilon, options.WeightDecay, decoupledWeightDecay: true),
        _ => throw new ArgumentOutOfRangeException(nameof(options), options.Optimizer, "unknown optimizer"),
    };

    /// <summary>Trains from the current epoch until the maximum number of epochs or a stopping rule.</summary>
    /// <exception cref="OperationCanceledException">
    /// <paramref name="cancellationToken"/> was cancelled. Training stops between two batches and the trainer keeps a
    /// consistent state: <see cref="CaptureState"/> (a checkpoint) or another <c>Fit</c> continues from the next batch.
    /// </exception>
    public TrainingResult Fit(Dataset train, Dataset? validation = null, IProgress<EpochReport>? progress = null, CancellationToken cancellationToken = default)
    {
        if (train.FeatureCount != _network.InputCount)
            throw new ArgumentException($"the data has {train.FeatureCount} features but the network takes {_network.InputCount}", nameof(train));
        if (train.RowCount == 0) throw new ArgumentException("the training data has no rows", nameof(train));
        if (validation is { RowCount: 0 }) validation = null;
        int rows = train.RowCount, features = train.FeatureCount, classes = _network.ClassCount;
        int batchSize = _options.BatchSize == 0 ? rows : Math.Min(_options.BatchSize, rows);
        int[] order = new int[rows];
        var batchFeatures = new float[batchSize * features];
        var batchLabels = new int[batchSize];
        var logitsGrad = new float[batchSize * classes];
        _network.EnsureCapacity(batchSize);
        bool validationStopping = validation is not null && _options.EarlyStopping;

        StopReason reason = StopReason.MaxEpochs;
        while (Epoch < _options.Epochs)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Optimizer.LearningRate = Schedule.Current;
            // Each epoch shuffles the identity permutation, so the generator's state alone determines the order. An epoch
            // that a cancellation interrupted starts again from the generator's state before its shuffle, at its next batch.
            if (_inEpoch) _random = RandomSource.FromState(_epochRandomState);
            else { _epochRandomState = _random.GetState(); _batchStart = 0; _epochLossSum = 0; _epochCorrect = 0; }
            _inEpoch = true;
            for (int i = 0; i < rows; i++) order[i] = i;
            if (batchSize < rows) _random.Shuffle(order);
            double lossSum = _epochLossSum;
            int correct = _epochCorrect;
            for (int start = _batchStart; start < rows; start += batchSize)
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    // Stop between batches with a consistent, resumable state: the next Fit (or a checkpoint) continues here.
                    (_batchStart, _epochLossSum, _epochCorrect) = (start, lossSum, correct);
                    cancellationToken.ThrowIfCancellationRequested();
                }
                int batch = Math.Min(batchSize, rows - start);
                ReadOnlySpan<float> x;
                ReadOnlySpan<int> y;
                if (batch == rows)
                {
                    // Full batch: the data set's own buffers, no copy.
                    x = train.Features;
                    y = train.Labels;
                }
                else
                {
                    _gather.Run(train.Features, train.Labels, features, order, start, batch, batchFeatures, batchLabels);
                    x = batchFeatures.AsSpan(0, batch * features);
                    y = batchLabels.AsSpan(0, batch);
                }
                double batchLoss = Step(x, y, batch, logitsGrad);
                lossSum += batchLoss * batch;
                correct += _lastStepCorrect;
                if (!double.IsFinite(batchLoss)) break;
            }
            Epoch++;
            _inEpoch = false;
            double epochLoss = lossSum / rows;
            _history.Add(epochLoss);
            // Accuracy of each batch's predictions just before its update: free to compute, and what the loss history measures too.
            _trainAccuracy.Add((double)correct / rows);
            double? validationLoss = null, validationAccuracy = null;
            if (validation is not null)
            {
                (double vl, double va) = Evaluation.LossAndAccuracy(_network, validation);
                validationLoss = vl;
                validationAccuracy = va;
                _validationLoss.Add(vl);
                _validationAccuracy.Add(va);
            }
            progress?.Report(new EpochReport(Epoch, _options.Epochs, epochLoss, validationLoss, validationAccuracy, Optimizer.LearningRate));
            if (!double.IsFinite(epochLoss) || validationLoss is double v && !double.IsFinite(v)) { reason = StopReason.NonFiniteLoss; break; }

            bool stop;
            if (validationStopping || (validation is not null && _options.RestoreBestWeights))
            {
                // Lower is better for the loss, higher for accuracy: compare on a "lower is better" scale.
                double monitored = _options.Monitor == MonitorKind.ValidationLoss ? validationLoss!.Value : -validationAccuracy!.Value;
                stop = Track(monitored, snapshot: true) && validationStopping;
                if (stop) reason = StopReason.EarlyStopped;
            }
            else
            {
                stop = Track(epochLoss, snapshot: false);
                if (stop) reason = StopReason.NoImprovement;
            }
            Schedule.EpochEnded(Epoch, validationLoss ?? epochLoss);
            EpochCompleted?.Invoke(this);
            if (stop) break;
        }

        bool restored = false;
        if (validation is not null && _options.RestoreBestWeights && _bestEpoch > 0 && _bestEpoch != Epoch)
        {
            for (int i = 0; i < _parameters.Length; i++) _bestWeights[i].CopyTo(_parameters[i].Value, 0);
            restored = true;
        }
        return new TrainingResult
        {
            Epochs = Epoch,
            StopReason = reason,
            LossHistory = _history.ToArray(),
            ValidationLossHistory = _validationLoss.ToArray(),
            ValidationAccuracyHistory = _validationAccuracy.ToArray(),
            TrainAccuracyHistory = _trainAccuracy.ToArray(),
            BestEpoch = restored ? _bestEpoch : Epoch,
            RestoredBestWeights = restored,
        };
    }

    // Records one epoch's monitored value (lower is better); true when Patience epochs in a row brought no improvement beyond MinDelta.
    private bool Track(double monitored, bool snapshot)
    {
        if (double.IsNaN(_best) || monitored < _best - _options.MinDelta)
        {
            _best = monitored;
            _bestEpoch = Epoch;
            _sinceBest = 0;
            if (snapshot)
                for (int i = 0; i < _parameters.Length; i++) _parameters[i].Value.CopyTo(_bestWeights[i], 0);
            return false;
        }
        return ++_sinceBest >= _options.Patience;
    }

    // x [batch, features], y [batch]; logitsGrad is scratch of at least [batch, classes]. Returns the batch's loss.
    /// <summary>One gradient step on one batch: forward, fused loss backward, backpropagate (writing the gradients), clip, update.</summary>
    public double Step(ReadOnlySpan<float> x, ReadOnlySpan<int> y, int batch, Span<float> logitsGrad)
    {
        if (_fused is not null)
        {
            _network.ZeroGrad();   // the fused step adds into the gradients
            if (_fused.Step(x, y, batch, out int fusedCorrect) is double fusedLoss)
            {
                // Iris-sized networks: forward, loss and backward fused, 16 rows at a time (same gradients as below).
                _lastStepCorrect = fusedCorrect;
                if (_options.GradientClipNorm > 0) ClipGradients(_options.GradientClipNorm);
                Optimizer.Step();
                return fusedLoss;
            }
        }
        ReadOnlySpan<float> logits = _network.Forward(x, batch);
        int classes = _network.ClassCount, correct = 0;
        for (int r = 0, o = 0; r < batch; r++, o += classes)
        {
            // argmax of the row, first index on ties (as IndexOfMax)
            int best = 0;
            for (int c = 1; c < classes; c++) if (logits[o + c] > logits[o + best]) best = c;
            if (best == y[r]) correct++;
        }
        _lastStepCorrect = correct;
        double loss = _loss.ForwardBackward(logits, y, batch, classes, logitsGrad);
        _network.Backward(x, logitsGrad, batch, accumulate: false);   // writes every gradient: no ZeroGrad pass needed
        if (_options.GradientClipNorm > 0) ClipGradients(_options.GradientClipNorm);
        Optimizer.Step();
        return loss;
    }

    /// <summary>Scales every gradient by min(1, maxNorm / (‖g‖ + 1e-6)), ‖g‖ the L2 norm over all parameters (PyTorch's clip_grad_norm_).</summary>
    private void ClipGradients(float maxNorm)
    {
        double squares = 0;
        foreach (Parameter p in _parameters) squares += TensorPrimitives.SumOfSquares<float>(p.Gradient);
        double norm = Math.Sqrt(squares);
        if (norm <= maxNorm) return;
        float scale = (float)(maxNorm / (norm + 1e-6));
        foreach (Parameter p in _parameters) TensorPrimitives.Multiply(p.Gradient, scale, p.Gradient);
    }

    /// <summary>A deep copy of everything that determines how training continues.</summary>
    public TrainingState CaptureState() => new()
    {
        Epoch = Epoch,
        RandomState = _inEpoch ? (ulong[])_epochRandomState.Clone() : _random.GetState(),
        BatchStart = _inEpoch ? _batchStart : 0,
        EpochLossSum = _inEpoch ? _epochLossSum : 0,
        EpochCorrect = _inEpoch ? _epochCorrect : 0,
        OptimizerStepCount = Optimizer.StepCount,
        OptimizerState = Optimizer.State.Select(s => (s.Name, (float[])s.Buffer.Clone())).ToArray(),
        LearningRate = Schedule.Current,
        PlateauBest = Schedule.PlateauBest,
        PlateauWait = Schedule.PlateauWait,
        Best = _best,
        BestEpoch = _bestEpoch,
        SinceBest = _sinceBest,
        BestWeights = _bestWeights.Select(w => (float[])w.Clone()).ToArray(),
        LossHistory = _history.ToArray(),
        ValidationLossHistory = _validationLoss.ToArray(),
        ValidationAccuracyHistory = _validationAccuracy.ToArray(),
        TrainAccuracyHistory = _trainAccuracy.ToArray(),
    };

    /// <summary>Puts back a state from <see cref="CaptureState"/> (the network's weights are restored separately).</summary>
    public void RestoreState(TrainingState state)
    {
        if (state.BatchStart < 0 || state.Epoch < 0) throw new ArgumentException("the saved epoch or batch position is negative", nameof(state));
        if (state.OptimizerState.Count != Optimizer.State.Count || state.BestWeights.Length != _bestWeights.Length)
            throw new ArgumentException("the saved state belongs to a different network or optimizer", nameof(state));
        for (int i = 0; i < state.OptimizerState.Count; i++)
        {
            (string name, float[] buffer) = Optimizer.State[i];
            if (state.OptimizerState[i].Name != name || state.OptimizerState[i].Buffer.Length != buffer.Length)
                throw new ArgumentException($"the saved optimizer state '{state.OptimizerState[i].Name}' does not match '{name}'", nameof(state));
            state.OptimizerState[i].Buffer.CopyTo(buffer, 0);
        }
        for (int i = 0; i < _bestWeights.Length; i++)
        {
            if (state.BestWeights[i].Length != _bestWeights[i].Length) throw new ArgumentException("the saved best weights have other shapes", nameof(state));
            state.BestWeights[i].CopyTo(_bestWeights[i], 0);
        }
        Epoch = state.Epoch;
        _random = RandomSource.FromState(state.RandomState);
        _inEpoch = state.BatchStart > 0;
        _epochRandomState = state.RandomState.ToArray();
        (_batchStart, _epochLossSum, _epochCorrect) = (state.BatchStart, state.EpochLossSum, state.EpochCorrect);
        Optimizer.StepCount = state.OptimizerStepCount;
        Schedule.Current = state.LearningRate;
        Schedule.PlateauBest = state.PlateauBest;
        Schedule.PlateauWait = state.PlateauWait;
        _best = state.Best;
        _bestEpoch = state.BestEpoch;
        _sinceBest = state.SinceBest;
        _history.Clear(); _history.AddRange(state.LossHistory);
        _validationLoss.Clear(); _validationLoss.AddRange(state.ValidationLossHistory);
        _validationAccuracy.Clear(); _validationAccuracy.AddRange(state.ValidationAccuracyHistory);
        _trainAccuracy.Clear(); _trainAccuracy.AddRange(state.TrainAccuracyHistory);
    }
}

/// <summary>Everything besides the weights that a resumed run needs to continue exactly.</summary>
public sealed record TrainingState
{
    public int Epoch { get; init; }
    /// <summary>The generator's state; in the middle of an epoch, its state before that epoch's shuffle.</summary>
    public ulong[] RandomState { get; init; } = [];
    /// <summary>The first row of the next batch when an epoch was interrupted (0 at an epoch boundary).</summary>
    public int BatchStart { get; init; }
    /// <summary>The summed loss (times rows) and the correct count of the interrupted epoch's batches so far.</summary>
    public double EpochLossSum { get; init; }
    public int EpochCorrect { get; init; }
    public long OptimizerStepCount { get; init; }
    public IReadOnlyList<(string Name, float[] Buffer)> OptimizerState { get; init; } = [];
    public float LearningRate { get; init; }
    public double PlateauBest { get; init; }
    public int PlateauWait { get; init; }
    public double Best { get; init; }
    public int BestEpoch { get; init; }
    public int SinceBest { get; init; }
    public float[][] BestWeights { get; init; } = [];
    public double[] LossHistory { get; init; } = [];
    public double[] ValidationLossHistory { get; init; } = [];
    public double[] ValidationAccuracyHistory { get; init; } = [];
    public double[] TrainAccuracyHistory { get; init; } = [];
}
