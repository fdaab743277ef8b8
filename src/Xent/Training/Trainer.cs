using System.Diagnostics;
using System.Numerics.Tensors;
using Xent.Data;
using Xent.Distributed;
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
/// <para>
/// Data-parallel: with a group of several processes (<see cref="ICollectives"/>), each holding a
/// <see cref="TrainingShare"/> of the rows, every process takes the same batches of the whole set (the same seed, the
/// same shuffle) and computes the summed gradient of its rows of each batch; one all-reduce over one flat buffer (every
/// gradient, the loss sum, the correct count, the loss's denominator Σ w[y] and a stop flag) adds them up, every process
/// divides by the denominator and takes the same optimizer step. The weights therefore stay identical on every process
/// and the run is a single-process run up to the order of float additions. Validation metrics are all-reduced too.
/// </para>
/// </summary>
public sealed class Trainer
{
    private readonly Network _network;
    private readonly IClassificationLoss _loss;
    private readonly TrainerOptions _options;
    private readonly Parameter[] _parameters;
    private readonly FusedSmallStep? _fused;
    private readonly BatchSource _memoryBatches;
    private EpochBatchSource _batches;
    private readonly EarlyStopping _stopping;
    private readonly TrainingHistory _history = new();
    private readonly ICollectives _group;
    // With a group: the loss with the sum reduction (the all-reduced sum is divided by the batch's denominator), its
    // fused step, and the all-reduce buffer [every gradient, loss sum, correct, denominator, stop].
    private readonly SoftmaxCrossEntropy? _sumLoss;
    private readonly FusedSmallStep? _sumFused;
    private readonly float[] _reduce = [];
    private float[] _logitsGrad = [];
    private readonly System.Diagnostics.Stopwatch _clock = new();
    private int _rowCount;

    /// <summary>A trainer of <paramref name="network"/> with the optimizer, loss and schedule that <paramref name="options"/> name, alone in its group.</summary>
    /// <param name="network">The network to train; the trainer updates its parameters in place.</param>
    /// <param name="options">How to train; validated here.</param>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public Trainer(Network network, TrainerOptions options)
        : this(network, CreateLoss(options), CreateOptimizer(network, options), options)
    {
    }

    /// <summary>A trainer that trains together with the other processes of <paramref name="group"/> (see the remarks on the class).</summary>
    /// <param name="network">The network to train; its weights are made equal to process 0's when training starts.</param>
    /// <param name="options">How to train; the same on every process.</param>
    /// <param name="group">The processes that train together.</param>
    public Trainer(Network network, TrainerOptions options, ICollectives group)
        : this(network, CreateLoss(options), CreateOptimizer(network, options), options, group)
    {
    }

    /// <summary>A trainer with a loss and an optimizer of the caller's choosing; <paramref name="options"/> give the rest (batches, epochs, stopping, schedule).</summary>
    /// <param name="network">The network to train.</param>
    /// <param name="loss">The loss head on the logits.</param>
    /// <param name="optimizer">The update rule, built over <paramref name="network"/>'s parameters.</param>
    /// <param name="options">Batches, epochs, early stopping, schedule, clipping and seed.</param>
    /// <param name="group">The processes that train together, or null for this process alone.</param>
    public Trainer(Network network, IClassificationLoss loss, IOptimizer optimizer, TrainerOptions options, ICollectives? group = null)
    {
        options.Validate();
        _group = group ?? SingleProcess.Instance;
        if (_group.Size > 1)
        {
            if (loss is not SoftmaxCrossEntropy { Options.Reduction: Reduction.Mean } ce)
                throw new ArgumentException("data-parallel training needs the softmax cross-entropy loss with the mean reduction", nameof(loss));
            _sumLoss = new SoftmaxCrossEntropy(ce.Options with { Reduction = Reduction.Sum });
            _sumFused = SmallNetworkPath.TryCreate(network, _sumLoss);
            _reduce = new float[network.Parameters.Sum(p => p.Length) + 4];
        }
        _network = network;
        _loss = loss;
        Optimizer = optimizer;
        _options = options;
        _parameters = network.Parameters.ToArray();
        _fused = SmallNetworkPath.TryCreate(network, loss);
        _batches = _memoryBatches = new BatchSource(options.Seed ^ 0x5EED0F5A11L);
        _stopping = new EarlyStopping(_parameters, options);
        Schedule = new LearningRateSchedule(options.Schedule, options.LearningRate, options.Epochs, options.ScheduleStepSize,
            options.ScheduleGamma, options.MinimumLearningRate, options.PlateauPatience, options.ScheduleGamma);
    }

    /// <summary>A trainer with the optimizer, loss and schedule that <paramref name="options"/> name.</summary>
    /// <param name="network">The network to train.</param>
    /// <param name="options">How to train.</param>
    /// <returns>A new trainer, alone in its group.</returns>
    public static Trainer Create(Network network, TrainerOptions options) => new(network, options);

    /// <summary>The network being trained.</summary>
    public Network Network => _network;
    /// <summary>The update rule; its buffers are part of a checkpoint.</summary>
    public IOptimizer Optimizer { get; }
    /// <summary>The learning-rate schedule, evaluated once per epoch.</summary>
    public LearningRateSchedule Schedule { get; }
    /// <summary>The options the trainer was built with.</summary>
    public TrainerOptions Options => _options;

    /// <summary>The processes that train together (a group of one unless given).</summary>
    public ICollectives Group => _group;

    /// <summary>Time spent in the gradient all-reduce (zero for a single process), and the steps that took it.</summary>
    public TimeSpan AllReduceTime => Stopwatch.GetElapsedTime(0, _reduceTicks);
    /// <summary>The number of gradient all-reduces so far (the steps of a shared run).</summary>
    public long AllReduceCount { get; private set; }
    private long _reduceTicks;

    /// <summary>Epochs completed so far.</summary>
    public int Epoch { get; private set; }

    /// <summary>Called after every mini-batch step, on the training thread (keep it quick: it runs inside the training loop).</summary>
    public Action<BatchReport>? BatchCompleted { get; set; }

    /// <summary>Called after every completed epoch (for checkpoints); the trainer's state is consistent there.</summary>
    public Action<Trainer>? EpochCompleted { get; set; }

    /// <summary>The loss <paramref name="options"/> name: softmax cross entropy with their class weights and label smoothing, mean reduction.</summary>
    /// <param name="options">The training options.</param>
    /// <returns>A new loss head.</returns>
    public static IClassificationLoss CreateLoss(TrainerOptions options) =>
        new SoftmaxCrossEntropy(new CrossEntropyOptions { Weights = options.ClassWeights, LabelSmoothing = options.LabelSmoothing });

    /// <summary>The optimizer <paramref name="options"/> name (SGD, Adam or AdamW with their settings), over <paramref name="network"/>'s parameters.</summary>
    /// <param name="network">The network whose parameters it updates.</param>
    /// <param name="options">The training options.</param>
    /// <returns>A new optimizer with zeroed buffers.</returns>
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
    /// <param name="train">The training rows (standardised if the network expects that).</param>
    /// <param name="validation">Rows for early stopping and the validation curves, matched by feature and class name; null for none.</param>
    /// <param name="progress">Receives one report per epoch; null for none.</param>
    /// <param name="cancellationToken">Checked before every batch.</param>
    /// <returns>The epochs run, why training stopped, and the loss and accuracy curves.</returns>
    /// <exception cref="ArgumentException">The data's feature count differs from the network's inputs, or it has no rows.</exception>
    public TrainingResult Fit(Dataset train, Dataset? validation = null, IProgress<EpochReport>? progress = null, CancellationToken cancellationToken = default) =>
        Fit(TrainingShare.Whole(train), validation, progress, cancellationToken);

    /// <summary>
    /// Trains on this process's share of the training rows, together with the other processes of <see cref="Group"/>
    /// (each calls <c>Fit</c> with its own share and its own share of the validation rows, possibly none). With a group,
    /// the first signal of <paramref name="cancellationToken"/> on any process stops all of them after the same batch.
    /// </summary>
    /// <param name="share">This process's training rows with their indices in the whole training set.</param>
    /// <param name="validation">This process's validation rows; null for none.</param>
    /// <param name="progress">Receives one report per epoch (metrics of all processes); null for none.</param>
    /// <param name="cancellationToken">Checked before every batch.</param>
    /// <returns>The same result on every process.</returns>
    /// <exception cref="OperationCanceledException">The token of some process was cancelled; every process stops after the same batch.</exception>
    public TrainingResult Fit(TrainingShare share, Dataset? validation = null, IProgress<EpochReport>? progress = null, CancellationToken cancellationToken = default)
    {
        Dataset train = share.Rows;
        bool shared = _group.Size > 1;
        if (train.FeatureCount != _network.InputCount)
            throw new ArgumentException($"the data has {train.FeatureCount} features but the network takes {_network.InputCount}", nameof(share));
        if (share.GlobalRowCount == 0) throw new ArgumentException("the training data has no rows", nameof(share));
        if (!shared && train.RowCount != share.GlobalRowCount)
            throw new ArgumentException($"this process holds {train.RowCount} of {share.GlobalRowCount} rows but trains alone; the other rows' processes must be in the group", nameof(share));
        if (shared) validation = SharedValidation(train, validation);
        else if (validation is { RowCount: 0 }) validation = null;
        // Validation rows are matched to the training data by feature and class name, never by position.
        validation = validation?.AlignTo(train.FeatureNames, train.ClassNames);
        if (_batches != _memoryBatches) throw new InvalidOperationException("this trainer reads its batches from a row cache; call FitCached");
        int rowCount = share.GlobalRowCount;
        int batchSize = _options.BatchSize == 0 ? rowCount : Math.Min(_options.BatchSize, rowCount);
        _memoryBatches.Use(share, batchSize);
        return Run(rowCount, batchSize, Validator(validation), shared, progress, cancellationToken);
    }

    private Func<(double Loss, double Accuracy)>? Validator(Dataset? validation) =>
        validation is null ? null : () => Evaluation.LossAndAccuracy(_network, validation, _group);

    /// <summary>
    /// Makes the trainer read its batches from <paramref name="cache"/>, <paramref name="blocksPerBuffer"/> blocks in memory
    /// at a time, instead of a data set; call it before restoring a checkpoint and before <c>FitCached</c>.
    /// </summary>
    internal void UseCache(RowCache cache, int blocksPerBuffer, Standardizer? standardizer = null)
    {
        if (cache.FeatureCount != _network.InputCount)
            throw new ArgumentException($"the cache has {cache.FeatureCount} features but the network takes {_network.InputCount}", nameof(cache));
        if (cache.RowCount == 0) throw new ArgumentException("the training data has no rows", nameof(cache));
        if (_group.Size > 1) throw new NotSupportedException("training from a row cache runs in one process");
        _batches = new CachedBatchSource(cache, blocksPerBuffer, _options.Seed ^ 0x5EED0F5A11L, standardizer);
    }

    /// <summary>Trains like <see cref="Fit(Dataset, Dataset?, IProgress{EpochReport}?, CancellationToken)"/> from the cache given to <see cref="UseCache"/> (<c>FitCached</c>); the validation rows are in memory, in the cache's feature order.</summary>
    internal TrainingResult FitCached(Dataset? validation, IProgress<EpochReport>? progress = null, CancellationToken cancellationToken = default) =>
        FitCached(Validator(validation is { RowCount: 0 } ? null : validation), progress, cancellationToken);

    /// <summary>The same with the validation rows in a row cache of their own, standardised as they are read (see <see cref="CachedEvaluation"/>).</summary>
    internal TrainingResult FitCached(CachedEvaluation? validation, IProgress<EpochReport>? progress = null, CancellationToken cancellationToken = default) =>
        FitCached(validation is null ? null : () => validation.LossAndAccuracy(_network), progress, cancellationToken);

    private TrainingResult FitCached(Func<(double Loss, double Accuracy)>? validate, IProgress<EpochReport>? progress, CancellationToken cancellationToken)
    {
        if (_batches is not CachedBatchSource cached) throw new InvalidOperationException("call UseCache first");
        int rowCount = (int)cached.RowCount;
        // A whole-data batch of a cache larger than memory is no batch at all: batch size 0 means one buffer's worth of rows.
        int batchSize = Math.Min(rowCount, _options.BatchSize == 0 ? cached.BufferCapacity : _options.BatchSize);
        cached.Use(batchSize);
        return Run(rowCount, batchSize, validate, false, progress, cancellationToken);
    }

    // The epochs, from whichever batch source the trainer uses.
    private TrainingResult Run(int rowCount, int batchSize, Func<(double Loss, double Accuracy)>? validate, bool shared, IProgress<EpochReport>? progress, CancellationToken cancellationToken)
    {
        EnsureCapacity(batchSize);
        _rowCount = rowCount;
        _clock.Restart();

        StopReason reason = StopReason.MaxEpochs;
        while (Epoch < _options.Epochs)
        {
            // With a group, a stop is agreed on inside the steps' all-reduce, so that every process stops after the same batch.
            if (!shared) cancellationToken.ThrowIfCancellationRequested();
            Optimizer.LearningRate = Schedule.Current;
            RunEpoch(cancellationToken);
            Epoch++;
            double loss = _batches.LossSum / rowCount, accuracy = (double)_batches.Correct / rowCount;
            (double? validationLoss, double? validationAccuracy) = validate is null ? ((double?)null, (double?)null) : validate();
            _history.Add(loss, accuracy, validationLoss, validationAccuracy);
            progress?.Report(new EpochReport(Epoch, _options.Epochs, loss, validationLoss, validationAccuracy, Optimizer.LearningRate) { TrainAccuracy = accuracy, Elapsed = _clock.Elapsed });
            if (!double.IsFinite(loss) || validationLoss is double v && !double.IsFinite(v)) { reason = StopReason.NonFiniteLoss; break; }
            bool stop = ShouldStop(loss, validationLoss, validationAccuracy, ref reason);
            Schedule.EpochEnded(Epoch, validationLoss ?? loss);
            EpochCompleted?.Invoke(this);
            if (stop) break;
        }
        bool restored = validate is not null && _options.RestoreBestWeights && _stopping.RestoreBest(Epoch);
        return Result(reason, restored);
    }

    // One pass over the batches that the epoch has left; stops with a resumable state when cancelled between two batches.
    private void RunEpoch(CancellationToken cancellationToken)
    {
        _batches.BeginEpoch();
        while (_batches.Next(out ReadOnlySpan<float> x, out ReadOnlySpan<int> y, out int rows, out int batch))
        {
            if (_group.Size == 1)
            {
                cancellationToken.ThrowIfCancellationRequested();
                StepResult step = Step(x, y, batch);
                _batches.Completed(batch, step);
                ReportBatch(step);
                if (!double.IsFinite(step.Loss)) break;
                continue;
            }
            StepResult shared = SharedStep(x, y, rows, batch, cancellationToken.IsCancellationRequested, out bool stop);
            _batches.Completed(batch, shared);
            ReportBatch(shared);
            if (!double.IsFinite(shared.Loss)) break;
            if (stop) throw new OperationCanceledException("another process of the group was interrupted", cancellationToken);
        }
        _batches.EndEpoch();
    }

    private void ReportBatch(StepResult step) =>
        BatchCompleted?.Invoke(new BatchReport(Epoch + 1, _batches.Position, _rowCount, step.Loss, (double)_batches.Correct / _batches.Position, _clock.Elapsed));

    // Every process learns whether any holds validation rows (then each evaluates its own, possibly none); the weights and
    // optimizer buffers of process 0 are copied to all, so they start identical even if a process's copy differed.
    private Dataset? SharedValidation(Dataset train, Dataset? validation)
    {
        Span<int> count = [validation?.RowCount ?? 0];
        _group.AllReduceSum(count);
        foreach (Parameter p in _parameters) _group.Broadcast(p.Value, root: 0);
        foreach ((_, float[] buffer) in Optimizer.State) _group.Broadcast(buffer, root: 0);
        if (count[0] == 0) return null;
        return validation ?? new Dataset([], [], train.FeatureNames, train.ClassNames);
    }

    // Early stopping watches the validation loss or accuracy when there is validation data, else the training loss.
    private bool ShouldStop(double loss, double? validationLoss, double? validationAccuracy, ref StopReason reason)
    {
        bool useValidation = validationLoss is not null && (_options.EarlyStopping || _options.RestoreBestWeights);
        if (!useValidation)
        {
            if (!_stopping.Observe(Epoch, loss, keepWeights: false)) return false;
            reason = StopReason.NoImprovement;
            return true;
        }
        // Lower is better for the loss, higher for accuracy: compare on a "lower is better" scale.
        double monitored = _options.Monitor == MonitorKind.ValidationLoss ? validationLoss!.Value : -validationAccuracy!.Value;
        if (!_stopping.Observe(Epoch, monitored, keepWeights: true) || !_options.EarlyStopping) return false;
        reason = StopReason.EarlyStopped;
        return true;
    }

    private TrainingResult Result(StopReason reason, bool restored) => new()
    {
        Epochs = Epoch,
        StopReason = reason,
        LossHistory = _history.Loss.ToArray(),
        ValidationLossHistory = _history.ValidationLoss.ToArray(),
        ValidationAccuracyHistory = _history.ValidationAccuracy.ToArray(),
        TrainAccuracyHistory = _history.TrainAccuracy.ToArray(),
        BestEpoch = restored ? _stopping.BestEpoch : Epoch,
        RestoredBestWeights = restored,
    };

    /// <summary>Sizes the network's and the trainer's buffers for batches of up to <paramref name="batch"/> rows.</summary>
    /// <param name="batch">The largest batch the next steps will take.</param>
    public void EnsureCapacity(int batch)
    {
        _network.EnsureCapacity(batch);
        if (_logitsGrad.Length < batch * _network.ClassCount) _logitsGrad = new float[batch * _network.ClassCount];
    }

    // x [batch, features], y [batch]
    /// <summary>
    /// One gradient step on one batch: forward, the fused softmax-cross-entropy backward, backpropagation (which writes
    /// every gradient), clipping, one optimizer update. Allocates nothing once <see cref="EnsureCapacity"/> has sized the buffers.
    /// </summary>
    /// <param name="x">Row-major [batch, InputCount] features.</param>
    /// <param name="y">[batch] class indices (the loss's ignore index leaves a row out).</param>
    /// <param name="batch">The number of rows.</param>
    /// <returns>The batch's loss (before the update) and the number of rows whose argmax was the label.</returns>
    public StepResult Step(ReadOnlySpan<float> x, ReadOnlySpan<int> y, int batch)
    {
        EnsureCapacity(batch);
        StepResult result = _fused is not null && FusedStep(_fused, x, y, batch) is StepResult fused ? fused : GeneralStep(x, y, batch, _loss);
        if (_options.GradientClipNorm > 0) ClipGradients(_options.GradientClipNorm);
        Optimizer.Step();
        return result;
    }

    // x [rows, features], y [rows]: this process's rows of a batch of `batch` rows of the whole set. Computes the summed
    // gradient of its rows, all-reduces it with the loss sum, correct count, denominator and stop flag, divides by the
    // denominator and takes the optimizer step: the same update on every process. Returns the batch's mean loss.
    private StepResult SharedStep(ReadOnlySpan<float> x, ReadOnlySpan<int> y, int rows, int batch, bool stopRequested, out bool stop)
    {
        EnsureCapacity(batch);
        StepResult local = new(0, 0);
        if (rows == 0) _network.ZeroGrad();
        else local = _sumFused is not null && FusedStep(_sumFused, x, y, rows) is StepResult fused ? fused : GeneralStep(x, y, rows, _sumLoss!);
        Span<float> buffer = _reduce;
        int o = 0;
        foreach (Parameter p in _parameters) { p.Gradient.CopyTo(buffer[o..]); o += p.Length; }
        buffer[o] = (float)local.Loss;
        buffer[o + 1] = local.Correct;
        buffer[o + 2] = Denominator(y[..rows]);
        buffer[o + 3] = stopRequested ? 1 : 0;
        long start = Stopwatch.GetTimestamp();
        _group.AllReduceSum(buffer);
        _reduceTicks += Stopwatch.GetTimestamp() - start;
        AllReduceCount++;
        float denominator = buffer[o + 2];
        // As the mean reduction: every row ignored gives a NaN loss and a zero gradient.
        float scale = denominator > 0 ? 1f / denominator : 0f;
        o = 0;
        foreach (Parameter p in _parameters) { TensorPrimitives.Multiply(buffer.Slice(o, p.Length), scale, p.Gradient); o += p.Length; }
        stop = buffer[o + 3] > 0;
        if (_options.GradientClipNorm > 0) ClipGradients(_options.GradientClipNorm);
        Optimizer.Step();
        return new StepResult(denominator > 0 ? buffer[o] / (double)denominator : double.NaN, (int)buffer[o + 1]);
    }

    // The mean reduction's denominator for these rows: Σ w[y] over the rows not ignored (the row count without weights).
    private float Denominator(ReadOnlySpan<int> y)
    {
        CrossEntropyOptions options = _sumLoss!.Options;
        double sum = 0;
        foreach (int t in y)
            if (t != options.IgnoreIndex) sum += options.Weights is { } w && (uint)t < (uint)w.Length ? w[t] : 1;
        return (float)sum;
    }

    // Iris-sized networks: forward, loss and backward fused, 16 rows at a time; it writes every gradient, as the general path does.
    private static StepResult? FusedStep(FusedSmallStep fused, ReadOnlySpan<float> x, ReadOnlySpan<int> y, int batch) =>
        fused.Step(x, y, batch, out int correct) is double loss ? new StepResult(loss, correct) : null;

    private StepResult GeneralStep(ReadOnlySpan<float> x, ReadOnlySpan<int> y, int batch, IClassificationLoss loss)
    {
        ReadOnlySpan<float> logits = _network.Forward(x, batch);
        int classes = _network.ClassCount, correct = 0;
        for (int r = 0, o = 0; r < batch; r++, o += classes)
        {
            // argmax of the row, first index on ties (as IndexOfMax)
            int best = 0;
            for (int c = 1; c < classes; c++) if (logits[o + c] > logits[o + best]) best = c;
            if (best == y[r]) correct++;
        }
        Span<float> logitsGrad = _logitsGrad.AsSpan(0, batch * classes);
        double value = loss.ForwardBackward(logits, y, batch, classes, logitsGrad);
        _network.Backward(x, logitsGrad, batch, accumulate: false);   // writes every gradient: no ZeroGrad pass needed
        return new StepResult(value, correct);
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
    /// <returns>A state that <see cref="RestoreState"/> (or a checkpoint) turns back into this exact point of the run.</returns>
    public TrainingState CaptureState() => new()
    {
        Epoch = Epoch,
        RandomState = _batches.RandomState,
        BatchStart = _batches.InEpoch ? _batches.Position : 0,
        EpochLossSum = _batches.InEpoch ? _batches.LossSum : 0,
        EpochCorrect = _batches.InEpoch ? _batches.Correct : 0,
        OptimizerStepCount = Optimizer.StepCount,
        OptimizerState = Optimizer.State.Select(s => (s.Name, (float[])s.Buffer.Clone())).ToArray(),
        LearningRate = Schedule.Current,
        PlateauBest = Schedule.PlateauBest,
        PlateauWait = Schedule.PlateauWait,
        Best = _stopping.Best,
        BestEpoch = _stopping.BestEpoch,
        SinceBest = _stopping.SinceBest,
        BestWeights = _stopping.BestWeights.Select(w => (float[])w.Clone()).ToArray(),
        LossHistory = _history.Loss.ToArray(),
        ValidationLossHistory = _history.ValidationLoss.ToArray(),
        ValidationAccuracyHistory = _history.ValidationAccuracy.ToArray(),
        TrainAccuracyHistory = _history.TrainAccuracy.ToArray(),
    };

    /// <summary>Puts back a state from <see cref="CaptureState"/> (the network's weights are restored separately).</summary>
    /// <param name="state">A state captured from a trainer of the same network shape and options.</param>
    public void RestoreState(TrainingState state)
    {
        if (state.BatchStart < 0 || state.Epoch < 0) throw new ArgumentException("the saved epoch or batch position is negative", nameof(state));
        if (state.RandomState.Length != 4) throw new ArgumentException("the saved generator state is not valid", nameof(state));
        if (state.OptimizerState.Count != Optimizer.State.Count)
            throw new ArgumentException("the saved state belongs to a different network or optimizer", nameof(state));
        for (int i = 0; i < state.OptimizerState.Count; i++)
        {
            (string name, float[] buffer) = Optimizer.State[i];
            if (state.OptimizerState[i].Name != name || state.OptimizerState[i].Buffer.Length != buffer.Length)
                throw new ArgumentException($"the saved optimizer state '{state.OptimizerState[i].Name}' does not match '{name}'", nameof(state));
        }
        _stopping.Restore(state.Best, state.BestEpoch, state.SinceBest, state.BestWeights);
        for (int i = 0; i < state.OptimizerState.Count; i++) state.OptimizerState[i].Buffer.CopyTo(Optimizer.State[i].Buffer, 0);
        Epoch = state.Epoch;
        _batches.Restore(state.RandomState, state.BatchStart, state.EpochLossSum, state.EpochCorrect);
        Optimizer.StepCount = state.OptimizerStepCount;
        Schedule.Current = state.LearningRate;
        Schedule.PlateauBest = state.PlateauBest;
        Schedule.PlateauWait = state.PlateauWait;
        _history.Restore(state);
    }
}

/// <summary>
/// Everything besides the weights that a resumed run needs to continue exactly. The checkpoint stores the scalars and
/// histories as this record's JSON and the buffers (optimizer state, best weights) as tensors.
/// </summary>
public sealed record TrainingState
{
    /// <summary>Epochs completed.</summary>
    public int Epoch { get; init; }
    /// <summary>The generator's state; in the middle of an epoch, its state before that epoch's shuffle.</summary>
    public ulong[] RandomState { get; init; } = [];
    /// <summary>The first row of the next batch when an epoch was interrupted (0 at an epoch boundary).</summary>
    public int BatchStart { get; init; }
    /// <summary>The summed loss (times rows) and the correct count of the interrupted epoch's batches so far.</summary>
    public double EpochLossSum { get; init; }
    /// <summary>See <see cref="EpochLossSum"/>.</summary>
    public int EpochCorrect { get; init; }
    /// <summary>The optimizer's step count t (Adam's bias correction uses it).</summary>
    public long OptimizerStepCount { get; init; }
    /// <summary>The optimizer's buffers by name (stored as checkpoint tensors, not in the JSON).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public IReadOnlyList<(string Name, float[] Buffer)> OptimizerState { get; init; } = [];
    /// <summary>The learning rate the schedule last set.</summary>
    public float LearningRate { get; init; }
    /// <summary>Reduce-on-plateau: the best monitored value so far.</summary>
    public double PlateauBest { get; init; }
    /// <summary>Reduce-on-plateau: the epochs since that best value.</summary>
    public int PlateauWait { get; init; }
    /// <summary>Early stopping: the best monitored value so far, on a lower-is-better scale.</summary>
    public double Best { get; init; }
    /// <summary>Early stopping: the epoch of that best value (0 before any).</summary>
    public int BestEpoch { get; init; }
    /// <summary>Early stopping: epochs since the best one.</summary>
    public int SinceBest { get; init; }
    /// <summary>The best epoch's parameter values, in <see cref="Network.Parameters"/> order (stored as checkpoint tensors).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public float[][] BestWeights { get; init; } = [];
    /// <summary>The training loss of each completed epoch.</summary>
    public double[] LossHistory { get; init; } = [];
    /// <summary>The validation loss of each completed epoch (empty without validation data).</summary>
    public double[] ValidationLossHistory { get; init; } = [];
    /// <summary>The validation accuracy of each completed epoch (empty without validation data).</summary>
    public double[] ValidationAccuracyHistory { get; init; } = [];
    /// <summary>The training accuracy of each completed epoch.</summary>
    public double[] TrainAccuracyHistory { get; init; } = [];
}
