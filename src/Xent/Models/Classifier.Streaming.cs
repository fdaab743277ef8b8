using Xent.Data;
using Xent.Layers;
using Xent.Training;

namespace Xent;

/// <summary>What a training run from a stream read and how the model does on it (<see cref="Classifier.Streamed"/>).</summary>
public sealed record StreamedTraining
{
    /// <summary>Rows of the training data read, as a table's row count: the validation split's included, a separate validation source's not.</summary>
    public long RowCount { get; init; }
    /// <summary>Rows left out by <see cref="CsvOptions.DropUnlabelled"/>.</summary>
    public long DroppedRows { get; init; }
    /// <summary>The model's metrics on the training rows, computed from the cache after training.</summary>
    public required ClassificationMetrics TrainMetrics { get; init; }
    /// <summary>The model's metrics on the validation rows; null without validation rows.</summary>
    public ClassificationMetrics? ValidationMetrics { get; init; }
    /// <summary>Where the row caches were; the folder is gone unless <see cref="StreamingData.KeepCache"/>.</summary>
    public required string CacheFolder { get; init; }
    /// <summary>True when a kept cache was used instead of reading the data.</summary>
    public bool CacheReused { get; init; }
    /// <summary>The time the pass over the data and the passes over the cache took, before the first epoch.</summary>
    public TimeSpan PassTime { get; init; }
    /// <summary>The training source's feature columns as the pass found them (kinds, distinct categories, missing cells), for the column report.</summary>
    internal IReadOnlyList<StreamedColumn> Columns { get; init; } = [];
}

public sealed partial class Classifier
{
    /// <summary>For a model trained from a stream, what was read and the metrics on its training and validation rows; null otherwise.</summary>
    public StreamedTraining? Streamed { get; internal set; }

    /// <summary>
    /// Trains on data larger than memory: the data is read once into a row cache on disk (see <see cref="StreamingData"/>),
    /// the stratified validation part (unless <paramref name="validation"/> is given, streamed the same way) and the
    /// standardisation are the ones <see cref="Train(Table, ClassifierOptions?, Table?, IProgress{EpochReport}?, TrainingHooks?, CancellationToken)"/>
    /// makes of the same rows, and training reads the cache a buffer of blocks at a time (shuffled block order, rows
    /// shuffled within the buffer). The caches are deleted at the end, also on an error or cancellation, unless kept.
    /// A checkpoint taken by <paramref name="hooks"/> holds the position in the cache, so a resumed run with the same
    /// data and options continues mid-epoch bit for bit.
    /// </summary>
    /// <param name="data">The training data, streamed from its shards.</param>
    /// <param name="options">What to build and how to train it; null for the defaults.</param>
    /// <param name="validation">Separate validation data, streamed likewise; null to split off <see cref="ClassifierOptions.ValidationFraction"/>.</param>
    /// <param name="progress">Receives a report after every epoch; null for none.</param>
    /// <param name="hooks">Called before training and after each epoch or batch (checkpoints); null for none.</param>
    /// <param name="cancellationToken">Checked between batches; the caches are removed when it stops the run.</param>
    /// <returns>The trained classifier, with <see cref="Streamed"/> saying what was read.</returns>
    /// <exception cref="DataFormatException">A bad cell, shard or header; the message is one line naming the shard and row.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled; no model is returned.</exception>
    public static Classifier Train(StreamingData data, ClassifierOptions? options = null, StreamingData? validation = null,
        IProgress<EpochReport>? progress = null, TrainingHooks? hooks = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        options ??= new ClassifierOptions();
        options.Validate();
        double fraction = validation is null ? options.ValidationFraction : 0;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using StreamedRows rows = StreamedRows.Prepare(data, validation, fraction, options.Trainer.Seed, cancellationToken, options.MaxCategories, options.Missing);
        TimeSpan passTime = clock.Elapsed;
        int features = rows.Encoder.FeatureCount;
        if (options.Trainer.ClassWeights is { } weights && weights.Length != rows.ClassNames.Length)
            throw new ArgumentException($"{weights.Length} class weights for {rows.ClassNames.Length} classes ({string.Join(", ", rows.ClassNames)})", nameof(options));
        TableEncoder encoder = rows.Encoder;
        Standardizer? standardizer = options.Standardize ? rows.Standardizer : null;
        TrainerOptions trainerOptions = options.Trainer;
        if (options.BalancedClassWeights) trainerOptions = trainerOptions with { ClassWeights = ClassWeighting.BalancedFromCounts(rows.TrainClassCounts) };
        Network network = Network.CreateClassifier(features, options.Hidden, rows.ClassNames.Length, options.Activation, options.Trainer.Seed);
        var trainer = new Trainer(network, trainerOptions) { EpochCompleted = hooks?.EpochCompleted, BatchCompleted = hooks?.BatchCompleted };
        trainer.UseCache(rows.Train, data.BlocksPerBuffer(features), standardizer);
        hooks?.BeforeTraining?.Invoke(trainer);
        CachedEvaluation? held = rows.Validation is null ? null : new CachedEvaluation(rows.Validation, standardizer);
        TrainingResult result = trainer.FitCached(held, progress, cancellationToken);
        var model = new Classifier(network, standardizer, encoder.FeatureNames, rows.ClassNames, options, encoder) { TrainingResult = result };
        model.Streamed = new StreamedTraining
        {
            RowCount = rows.RowCount,
            DroppedRows = rows.DroppedRows,
            TrainMetrics = new CachedEvaluation(rows.Train, standardizer).Metrics(network, rows.ClassNames),
            ValidationMetrics = held?.Metrics(network, rows.ClassNames),
            CacheFolder = rows.Folder,
            CacheReused = rows.Reused,
            PassTime = passTime,
            Columns = rows.Columns,
        };
        return model;
    }
}
