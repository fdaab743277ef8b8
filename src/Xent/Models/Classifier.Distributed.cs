using Xent.Data;
using Xent.Distributed;
using Xent.Layers;
using Xent.Training;

namespace Xent;

/// <summary>This process's part of a data-parallel run: its training rows (with their place in the whole training set) and its validation rows.</summary>
/// <param name="Train">This process's training rows, each with its index in the whole training set.</param>
/// <param name="Validation">This process's validation rows, or null when there are none.</param>
public sealed record SharedSplit(TrainingShare Train, Dataset? Validation)
{
    /// <summary>The encoding of the original columns, fitted on all processes' training rows (a split of a <see cref="Table"/>); null for numeric data sets.</summary>
    public TableEncoder? Encoder { get; init; }
}

public sealed partial class Classifier
{
    /// <summary>
    /// The data-parallel counterpart of <see cref="Train(Dataset, ClassifierOptions?, Dataset?, IProgress{EpochReport}?, TrainingHooks?, CancellationToken)"/>'s split: every process of <paramref name="group"/> calls it with
    /// its <paramref name="share"/> of the rows of a data set of <paramref name="rowCount"/> rows (classes numbered alike
    /// on every process). The labels of all rows are all-reduced (one int per row), so every process computes the same
    /// stratified split as <see cref="Split.Stratified(Dataset, double, long)"/> would on the whole set, and keeps its own rows of each part. With
    /// a <paramref name="validation"/> share (a separate file), there is no split.
    /// </summary>
    /// <param name="rows">This process's rows of the data set, in file order.</param>
    /// <param name="share">Which rows are this process's (row i belongs to process i mod N).</param>
    /// <param name="rowCount">The number of rows of the whole data set, over all processes.</param>
    /// <param name="group">The processes of the run; every one calls this method with the same arguments but its own rows.</param>
    /// <param name="options">The options of the run; their validation fraction and seed decide the split.</param>
    /// <param name="validation">This process's share of a separate validation set, or null to split one off.</param>
    /// <returns>This process's training rows and its validation rows.</returns>
    public static SharedSplit SplitShared(Dataset rows, RowShare share, int rowCount, ICollectives group, ClassifierOptions options, Dataset? validation = null)
    {
        if (rows.RowCount != share.RowsOf(rowCount)) throw new ArgumentException($"share {share.Index} of {rowCount} rows holds {share.RowsOf(rowCount)} rows, not {rows.RowCount}", nameof(rows));
        if (validation is not null || options.ValidationFraction == 0)
            return new SharedSplit(new TrainingShare(rows, Enumerable.Range(0, rows.RowCount).Select(share.GlobalIndex).ToArray(), rowCount), validation);
        (int[] localTrain, int[] trainIndices, int trainCount, int[] localValidation) = SplitRows(rows.Labels, rows.ClassCount, share, rowCount, group, options);
        return new SharedSplit(new TrainingShare(rows.Subset(localTrain), trainIndices, trainCount), rows.Subset(localValidation));
    }

    /// <summary>
    /// <see cref="SplitShared(Dataset, RowShare, int, ICollectives, ClassifierOptions, Dataset?)"/> for a share of a table with typed columns: the same
    /// split, then the encoding of the columns fitted on the training rows of all processes
    /// (<see cref="TableEncoder.Fit(Table, ICollectives, int, MissingValues)"/>), so it equals the one a single process fits with
    /// <see cref="Train(Table, ClassifierOptions?, Table?, IProgress{EpochReport}?, TrainingHooks?, CancellationToken)"/>, and both parts encoded with it.
    /// The columns' names and kinds must be the same on every process.
    /// </summary>
    /// <param name="rows">This process's rows of the table, in file order.</param>
    /// <param name="share">Which rows are this process's (row i belongs to process i mod N).</param>
    /// <param name="rowCount">The number of rows of the whole table, over all processes.</param>
    /// <param name="group">The processes of the run; every one calls this method with its own rows.</param>
    /// <param name="options">The options of the run: validation fraction, seed, category limit and missing-value policy.</param>
    /// <param name="validation">This process's share of a separate validation table, or null to split one off.</param>
    /// <returns>This process's encoded training and validation rows, with the shared <see cref="SharedSplit.Encoder"/>.</returns>
    public static SharedSplit SplitShared(Table rows, RowShare share, int rowCount, ICollectives group, ClassifierOptions options, Table? validation = null)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(options);
        if (rows.Labels is null) throw new ArgumentException("the training table has no labels", nameof(rows));
        if (rows.RowCount != share.RowsOf(rowCount)) throw new ArgumentException($"share {share.Index} of {rowCount} rows holds {share.RowsOf(rowCount)} rows, not {rows.RowCount}", nameof(rows));
        Table trainRows = rows;
        int[] trainIndices = Enumerable.Range(0, rows.RowCount).Select(share.GlobalIndex).ToArray();
        int trainCount = rowCount;
        if (validation is null && options.ValidationFraction > 0)
        {
            (int[] localTrain, trainIndices, trainCount, int[] localValidation) = SplitRows(rows.Labels, rows.ClassCount, share, rowCount, group, options);
            trainRows = rows.Subset(localTrain);
            validation = rows.Subset(localValidation);
        }
        TableEncoder encoder = TableEncoder.Fit(trainRows, group, options.MaxCategories, options.Missing);
        Dataset? validationData = null;
        if (validation is not null)
        {
            try { validationData = encoder.ToDataset(validation); }
            catch (ArgumentException e) { throw new ArgumentException($"validation data: {e.Message}", nameof(validation), e); }
        }
        return new SharedSplit(new TrainingShare(encoder.ToDataset(trainRows), trainIndices, trainCount), validationData) { Encoder = encoder };
    }

    // The stratified split of the whole set from all processes' labels (one int per row, all-reduced): this process's
    // training rows, their indices in the whole training set (a training row's index is the number of training rows
    // before it), the training set's size, and this process's validation rows.
    private static (int[] LocalTrain, int[] TrainIndices, int TrainCount, int[] LocalValidation) SplitRows(int[] localLabels, int classCount, RowShare share, int rowCount,
        ICollectives group, ClassifierOptions options)
    {
        int[] localIndices = Enumerable.Range(0, localLabels.Length).Select(share.GlobalIndex).ToArray();
        var labels = new int[rowCount];
        for (int i = 0; i < localLabels.Length; i++) labels[localIndices[i]] = localLabels[i] + 1;   // 0 marks another process's row
        group.AllReduceSum(labels);
        for (int g = 0; g < rowCount; g++) labels[g]--;
        var isValidation = new bool[rowCount];
        foreach (int g in Split.StratifiedRows(labels, classCount, options.ValidationFraction, options.Trainer.Seed).Validation) isValidation[g] = true;
        var trainIndex = new int[rowCount];
        int trainCount = 0;
        for (int g = 0; g < rowCount; g++) trainIndex[g] = isValidation[g] ? -1 : trainCount++;
        int[] localTrain = Enumerable.Range(0, localLabels.Length).Where(i => !isValidation[localIndices[i]]).ToArray();
        int[] localValidation = Enumerable.Range(0, localLabels.Length).Where(i => isValidation[localIndices[i]]).ToArray();
        return (localTrain, localTrain.Select(i => trainIndex[localIndices[i]]).ToArray(), trainCount, localValidation);
    }

    /// <summary>
    /// Data-parallel <see cref="Train(Dataset, ClassifierOptions?, Dataset?, IProgress{EpochReport}?, TrainingHooks?, CancellationToken)"/>: every process of <paramref name="group"/> calls it with its part from
    /// <see cref="SplitShared(Dataset, RowShare, int, ICollectives, ClassifierOptions, Dataset?)"/> (or its table overload). The standardisation is fitted on all training rows (sums all-reduced), balanced class
    /// weights count all training rows, and the trainer all-reduces every step's gradient, so every process returns the
    /// same classifier, equal to a single process's up to the order of float additions.
    /// </summary>
    /// <param name="split">This process's part, from <c>SplitShared</c> (of a data set or a table).</param>
    /// <param name="group">The processes of the run.</param>
    /// <param name="options">The network and training options, the same on every process; null for the defaults.</param>
    /// <param name="progress">Receives one report per epoch (with metrics over all processes); null for none.</param>
    /// <param name="hooks">Callbacks before training, after each batch and after each epoch; null for none.</param>
    /// <param name="cancellationToken">Checked before every batch; a stop on one process must be agreed by all (the trainer all-reduces a stop flag).</param>
    /// <returns>The trained classifier, the same on every process.</returns>
    public static Classifier TrainShared(SharedSplit split, ICollectives group, ClassifierOptions? options = null,
        IProgress<EpochReport>? progress = null, TrainingHooks? hooks = null, CancellationToken cancellationToken = default)
    {
        options ??= new ClassifierOptions();
        options.Validate();
        Dataset train = split.Train.Rows;
        Dataset? validation = split.Validation;
        if (validation is not null)
        {
            try { validation = validation.AlignTo(train.FeatureNames, train.ClassNames); }
            catch (ArgumentException e) { throw new ArgumentException($"validation data: {e.Message}", nameof(split), e); }
        }
        Standardizer? standardizer = options.Standardize ? Standardizer.Fit(train, group) : null;
        if (standardizer is not null)
        {
            train = standardizer.Transform(train);
            if (validation is not null) validation = standardizer.Transform(validation);
        }
        TrainerOptions trainerOptions = options.Trainer;
        if (options.BalancedClassWeights)
        {
            int[] counts = train.ClassCounts();
            group.AllReduceSum(counts);
            trainerOptions = trainerOptions with { ClassWeights = ClassWeighting.BalancedFromCounts(counts) };
        }
        Network network = Network.CreateClassifier(train.FeatureCount, options.Hidden, train.ClassCount, options.Activation, options.Trainer.Seed);
        var trainer = new Trainer(network, trainerOptions, group) { EpochCompleted = hooks?.EpochCompleted };
        hooks?.BeforeTraining?.Invoke(trainer);
        var share = new TrainingShare(train, split.Train.GlobalIndices, split.Train.GlobalRowCount);
        TrainingResult result = trainer.Fit(share, validation, progress, cancellationToken);
        return new Classifier(network, standardizer, train.FeatureNames, train.ClassNames, options, split.Encoder) { TrainingResult = result };
    }

    /// <summary>
    /// <see cref="Evaluate(Dataset)"/> over the rows that the processes of <paramref name="group"/> hold together: each process's
    /// confusion matrix and summed log loss are all-reduced, so every process gets the metrics of all the rows.
    /// </summary>
    /// <param name="data">This process's labelled rows.</param>
    /// <param name="group">The processes holding the other rows.</param>
    /// <returns>The metrics over the rows of all processes.</returns>
    public ClassificationMetrics Evaluate(Dataset data, ICollectives group)
    {
        if (group.Size == 1) return Evaluate(data);
        ClassificationMetrics local = Evaluate(data);
        int k = ClassNames.Count;
        var totals = new double[k * k + 1];
        for (int i = 0; i < k; i++)
            for (int j = 0; j < k; j++) totals[i * k + j] = local.ConfusionMatrix[i][j];
        totals[k * k] = data.RowCount == 0 ? 0 : local.LogLoss * data.RowCount;
        group.AllReduceSum(totals);
        int[][] confusion = Enumerable.Range(0, k).Select(i => Enumerable.Range(0, k).Select(j => (int)totals[i * k + j]).ToArray()).ToArray();
        return ClassificationMetrics.FromConfusion(confusion, totals[k * k], ClassNames);
    }
}
