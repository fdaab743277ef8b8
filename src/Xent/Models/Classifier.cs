using System.Reflection;
using Xent.Data;
using Xent.Layers;
using Xent.Models;
using Xent.Training;

namespace Xent;

/// <summary>What <c>Classifier.Train</c> builds and how it trains it.</summary>
public sealed record ClassifierOptions
{
    /// <summary>Hidden layer sizes; empty for a linear softmax classifier.</summary>
    public int[] Hidden { get; init; } = [16];

    /// <summary>The nonlinearity of every hidden layer; the output layer has none (its outputs are the logits).</summary>
    public Activation Activation { get; init; } = Activation.Relu;

    /// <summary>The fraction of rows held out (stratified) for validation and early stopping, when no validation set is given; 0 for none.</summary>
    public double ValidationFraction { get; init; } = 0.2;

    /// <summary>Standardise features with the training rows' mean and deviation (stored with the model, applied when predicting).</summary>
    public bool Standardize { get; init; } = true;

    /// <summary>Weight classes by rows / (classes · count) in the loss (scikit-learn's "balanced").</summary>
    public bool BalancedClassWeights { get; init; }

    /// <summary>How the network is trained: optimizer, learning rate, batch size, epochs, early stopping, seed.</summary>
    public TrainerOptions Trainer { get; init; } = new();

    /// <summary>The most categories of one column that get their own one-hot feature (the most frequent ones); the rest share an "other" feature.</summary>
    public int MaxCategories { get; init; } = TableEncoder.DefaultMaxCategories;

    /// <summary>Whether missing feature values are imputed (recorded in the model, so prediction does the same) or errors.</summary>
    public MissingValues Missing { get; init; } = MissingValues.Impute;

    /// <summary>Checks every field (and <see cref="Trainer"/>'s) before any work.</summary>
    /// <exception cref="ArgumentException">A field is out of range; the exception's parameter name is the field's name.</exception>
    public void Validate()
    {
        if (MaxCategories < 1) throw new ArgumentException($"MaxCategories must be at least 1, got {MaxCategories}", nameof(MaxCategories));
        if (!Enum.IsDefined(Missing)) throw new ArgumentException($"unknown missing-value policy {Missing}", nameof(Missing));
        if (Hidden.Any(h => h < 1)) throw new ArgumentException("every hidden layer needs at least one unit", nameof(Hidden));
        if (!(ValidationFraction >= 0 && ValidationFraction < 1)) throw new ArgumentException($"ValidationFraction must be in [0, 1), got {ValidationFraction}", nameof(ValidationFraction));
        if (!Enum.IsDefined(Activation)) throw new ArgumentException($"unknown activation {Activation}", nameof(Activation));
        Trainer.Validate();
    }
}

/// <summary>
/// A trained classifier: the encoding of its original columns (<see cref="Encoder"/>: imputation and one-hot categories),
/// the standardisation fitted on its training rows, the network, and the names of its features and classes. <c>Classifier.Train(data, options)</c>, then <c>PredictProbabilities</c>, <c>Predict</c>, <c>Evaluate</c>,
/// <c>Save(path)</c> and <c>Classifier.Load(path)</c>.
/// </summary>
public sealed partial class Classifier
{
    /// <summary>
    /// A classifier from its parts. <paramref name="encoder"/> says how original columns become the network's features;
    /// null means plain numeric features named <paramref name="featureNames"/> (missing values then are errors, as in
    /// models written before tables).
    /// </summary>
    /// <param name="network">The trained network: inputs = the encoded features, outputs = the classes' logits.</param>
    /// <param name="standardizer">The standardisation applied to the encoded features before the network, or null for none.</param>
    /// <param name="featureNames">The network's input names, in order; replaced by the encoder's names when <paramref name="encoder"/> is given.</param>
    /// <param name="classNames">The class names, in the order of the network's outputs.</param>
    /// <param name="options">The options the model was trained with (kept in the model file); null for the defaults.</param>
    /// <param name="encoder">How the original columns become the features; null for plain numeric features.</param>
    /// <exception cref="ArgumentException">The sizes of the parts do not agree with the network's inputs and outputs.</exception>
    public Classifier(Network network, Standardizer? standardizer, IReadOnlyList<string> featureNames, IReadOnlyList<string> classNames, ClassifierOptions? options = null,
        TableEncoder? encoder = null)
    {
        if (encoder is not null && encoder.FeatureCount != network.InputCount) throw new ArgumentException($"the encoder makes {encoder.FeatureCount} features for a network with {network.InputCount} inputs", nameof(encoder));
        if (featureNames.Count != network.InputCount) throw new ArgumentException($"{featureNames.Count} feature names for a network with {network.InputCount} inputs", nameof(featureNames));
        if (classNames.Count != network.ClassCount) throw new ArgumentException($"{classNames.Count} class names for a network with {network.ClassCount} outputs", nameof(classNames));
        if (standardizer is not null && standardizer.FeatureCount != network.InputCount) throw new ArgumentException("the standardizer's length differs from the network's inputs", nameof(standardizer));
        Network = network;
        Standardizer = standardizer;
        FeatureNames = featureNames;
        ClassNames = classNames;
        Options = options ?? new ClassifierOptions();
        Encoder = encoder ?? new TableEncoder(featureNames.Select((name, i) => new ColumnEncoding
        {
            Name = name,
            Kind = ColumnKind.Numeric,
            Fill = standardizer?.Mean[i] ?? 0f,
        }).ToArray(), MissingValues.Error);
        if (encoder is not null) FeatureNames = encoder.FeatureNames;
    }

    /// <summary>The network: <see cref="Layers.Network.InputCount"/> encoded features in, one logit per class out.</summary>
    public Network Network { get; }
    /// <summary>The preprocessing of the original columns, fitted on the training rows and applied by name when predicting.</summary>
    public TableEncoder Encoder { get; }
    /// <summary>The per-feature mean and deviation fitted on the training rows and applied before the network, or null when the model does not standardise.</summary>
    public Standardizer? Standardizer { get; }
    /// <summary>The names of the network's inputs, in order: the original numeric columns, one-hot slots (<c>column=category</c>) and missing-value indicators.</summary>
    public IReadOnlyList<string> FeatureNames { get; }
    /// <summary>The class names in the order of the network's outputs and of every probability array this model returns.</summary>
    public IReadOnlyList<string> ClassNames { get; }
    /// <summary>The options the model was trained with.</summary>
    public ClassifierOptions Options { get; }
    /// <summary>How the model was trained (epochs, stop reason, the loss and accuracy curves); kept in the model file and restored by <see cref="Load"/>.</summary>
    public TrainingResult? TrainingResult { get; internal set; }

    /// <summary>The Xent version that wrote a model (informational version of the library).</summary>
    public static string Version => typeof(Classifier).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0";

    /// <summary>Hooks for checkpointing a training run: called after each epoch with the trainer.</summary>
    public sealed record TrainingHooks
    {
        /// <summary>Called after each epoch with the trainer (its <see cref="Trainer.Epoch"/> already counts it), e.g. to save a checkpoint.</summary>
        public Action<Trainer>? EpochCompleted { get; init; }
        /// <summary>Called after every mini-batch step with the epoch's progress (rows done, loss, training accuracy, elapsed time).</summary>
        public Action<BatchReport>? BatchCompleted { get; init; }
        /// <summary>Called once before training starts, e.g. to restore a checkpoint into the fresh trainer.</summary>
        public Action<Trainer>? BeforeTraining { get; init; }
    }

    /// <summary>
    /// <see cref="Train(Dataset, ClassifierOptions?, Dataset?, IProgress{EpochReport}?, TrainingHooks?, CancellationToken)"/> on a
    /// thread-pool thread, for UI and server code that must not block. Cancellation is checked between batches.
    /// </summary>
    /// <returns>The trained classifier.</returns>
    /// <exception cref="OperationCanceledException">The token was cancelled; no model is returned.</exception>
    /// <param name="data">The labelled training rows (features raw, unstandardised).</param>
    /// <param name="options">The network and training options; null for the defaults.</param>
    /// <param name="validation">Rows for early stopping, matched by feature and class name; null to split <see cref="ClassifierOptions.ValidationFraction"/> off <paramref name="data"/>.</param>
    /// <param name="progress">Receives one report per epoch; null for none.</param>
    /// <param name="hooks">Callbacks before training, after each batch and after each epoch; null for none.</param>
    /// <param name="cancellationToken">Checked before every batch.</param>
    public static Task<Classifier> TrainAsync(Dataset data, ClassifierOptions? options = null, Dataset? validation = null,
        IProgress<EpochReport>? progress = null, TrainingHooks? hooks = null, CancellationToken cancellationToken = default) =>
        Task.Run(() => Train(data, options, validation, progress, hooks, cancellationToken), cancellationToken);

    /// <summary>As <see cref="TrainAsync(Dataset, ClassifierOptions?, Dataset?, IProgress{EpochReport}?, TrainingHooks?, CancellationToken)"/> for a table with typed columns.</summary>
    /// <returns>The trained classifier.</returns>
    /// <param name="data">The labelled training table, with numeric and categorical columns.</param>
    /// <param name="options">The network and training options; null for the defaults.</param>
    /// <param name="validation">A labelled table for early stopping, matched by column and class name; null to split <see cref="ClassifierOptions.ValidationFraction"/> off <paramref name="data"/>.</param>
    /// <param name="progress">Receives one report per epoch; null for none.</param>
    /// <param name="hooks">Callbacks before training, after each batch and after each epoch; null for none.</param>
    /// <param name="cancellationToken">Checked before every batch.</param>
    /// <exception cref="OperationCanceledException">The token was cancelled; no model is returned.</exception>
    public static Task<Classifier> TrainAsync(Table data, ClassifierOptions? options = null, Table? validation = null,
        IProgress<EpochReport>? progress = null, TrainingHooks? hooks = null, CancellationToken cancellationToken = default) =>
        Task.Run(() => Train(data, options, validation, progress, hooks, cancellationToken), cancellationToken);

    /// <summary>
    /// Splits off a stratified validation part (unless one is given), fits the standardisation on the training part,
    /// builds the network and trains it. The data set's features are treated as numeric columns of those names.
    /// </summary>
    /// <param name="data">The labelled training rows (features raw, unstandardised).</param>
    /// <param name="options">The network and training options; null for the defaults.</param>
    /// <param name="validation">Rows for early stopping, matched by feature and class name; null to split <see cref="ClassifierOptions.ValidationFraction"/> off <paramref name="data"/>.</param>
    /// <param name="progress">Receives one report per epoch; null for none.</param>
    /// <param name="hooks">Callbacks before training, after each batch and after each epoch; null for none.</param>
    /// <param name="cancellationToken">Checked before every batch.</param>
    /// <returns>The trained classifier, with the best epoch's weights when early stopping restored them and its <see cref="TrainingResult"/>.</returns>
    /// <exception cref="ArgumentException">The options are invalid, or the validation set does not match the training set's features and classes.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled; no model is returned.</exception>
    public static Classifier Train(Dataset data, ClassifierOptions? options = null, Dataset? validation = null,
        IProgress<EpochReport>? progress = null, TrainingHooks? hooks = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        options ??= new ClassifierOptions();
        options.Validate();
        Dataset train = data;
        if (validation is null && options.ValidationFraction > 0)
            (train, validation) = Split.Stratified(data, options.ValidationFraction, options.Trainer.Seed);
        // A separate validation set is matched to the training data by feature and class name, never by position.
        if (validation is not null)
        {
            try { validation = validation.AlignTo(train.FeatureNames, train.ClassNames); }
            catch (ArgumentException e) { throw new ArgumentException($"validation data: {e.Message}", nameof(validation), e); }
        }
        // The features are numeric columns as they are; a missing value at prediction gets the training mean.
        var sums = new double[train.FeatureCount];
        for (int r = 0; r < train.RowCount; r++)
            for (int f = 0; f < sums.Length; f++) sums[f] += train.Features[r * sums.Length + f];
        var encoder = new TableEncoder(train.FeatureNames.Select((name, f) => new ColumnEncoding
        {
            Name = name,
            Kind = ColumnKind.Numeric,
            Fill = train.RowCount > 0 ? (float)(sums[f] / train.RowCount) : 0f,
        }).ToArray(), options.Missing);
        return TrainEncoded(train, validation, encoder, data.ClassNames, options, progress, hooks, cancellationToken);
    }

    /// <summary>
    /// Splits off a stratified validation part (unless one is given), fits the encoding of the columns
    /// (<see cref="TableEncoder.Fit(Table, int, MissingValues)"/>) and the standardisation on the training part only, encodes both parts once, builds
    /// the network and trains it.
    /// </summary>
    /// <param name="data">The labelled training table, with numeric and categorical columns.</param>
    /// <param name="options">The network and training options; null for the defaults.</param>
    /// <param name="validation">A labelled table for early stopping, matched by column and class name; null to split <see cref="ClassifierOptions.ValidationFraction"/> off <paramref name="data"/>.</param>
    /// <param name="progress">Receives one report per epoch; null for none.</param>
    /// <param name="hooks">Callbacks before training, after each batch and after each epoch; null for none.</param>
    /// <param name="cancellationToken">Checked before every batch.</param>
    /// <returns>The trained classifier, holding the fitted encoding and standardisation and its <see cref="TrainingResult"/>.</returns>
    /// <exception cref="ArgumentException">The table has no labels, the options are invalid, or the validation table lacks a column.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled; no model is returned.</exception>
    public static Classifier Train(Table data, ClassifierOptions? options = null, Table? validation = null,
        IProgress<EpochReport>? progress = null, TrainingHooks? hooks = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.Labels is null) throw new ArgumentException("the training table has no labels", nameof(data));
        options ??= new ClassifierOptions();
        options.Validate();
        Table trainTable = data;
        if (validation is null && options.ValidationFraction > 0)
            (trainTable, validation) = Split.Stratified(data, options.ValidationFraction, options.Trainer.Seed);
        TableEncoder encoder = TableEncoder.Fit(trainTable, options.MaxCategories, options.Missing);
        Dataset train = encoder.ToDataset(trainTable);
        Dataset? validationData = null;
        // A separate validation set is matched to the training data by column and class name, never by position.
        if (validation is not null)
        {
            try { validationData = encoder.ToDataset(validation).AlignTo(train.FeatureNames, train.ClassNames); }
            catch (ArgumentException e) { throw new ArgumentException($"validation data: {e.Message}", nameof(validation), e); }
        }
        return TrainEncoded(train, validationData, encoder, data.ClassNames, options, progress, hooks, cancellationToken);
    }

    // Encoded features in, a trained classifier out: the standardisation fitted on the training rows, then the network.
    private static Classifier TrainEncoded(Dataset train, Dataset? validation, TableEncoder encoder, IReadOnlyList<string> classNames, ClassifierOptions options,
        IProgress<EpochReport>? progress, TrainingHooks? hooks, CancellationToken cancellationToken)
    {
        Standardizer? standardizer = options.Standardize ? Standardizer.Fit(train) : null;
        if (standardizer is not null)
        {
            train = standardizer.Transform(train);
            if (validation is not null) validation = standardizer.Transform(validation);
        }
        TrainerOptions trainerOptions = options.Trainer;
        if (options.BalancedClassWeights) trainerOptions = trainerOptions with { ClassWeights = ClassWeighting.Balanced(train.Labels, train.ClassCount) };
        Network network = Network.CreateClassifier(train.FeatureCount, options.Hidden, train.ClassCount, options.Activation, options.Trainer.Seed);
        var trainer = new Trainer(network, trainerOptions) { EpochCompleted = hooks?.EpochCompleted, BatchCompleted = hooks?.BatchCompleted };
        hooks?.BeforeTraining?.Invoke(trainer);
        TrainingResult result = trainer.Fit(train, validation, progress, cancellationToken);
        return new Classifier(network, standardizer, encoder.FeatureNames, classNames, options, encoder) { TrainingResult = result };
    }

    /// <summary>
    /// The options to read a CSV file for this model: its columns by name with its types, its classes, and its
    /// missing-value policy (labels optional unless <paramref name="baseOptions"/> says otherwise).
    /// </summary>
    /// <param name="baseOptions">Options to start from (delimiter, label column, missing-value policy); null for the model's own policy with optional labels.</param>
    /// <returns><paramref name="baseOptions"/> with the model's feature names and kinds and its class names.</returns>
    public CsvOptions ReadingOptions(CsvOptions? baseOptions = null) => (baseOptions ?? new CsvOptions { LabelRequired = false }) with
    {
        FeatureNames = Encoder.ColumnNames,
        FeatureKinds = Encoder.ColumnKinds,
        ClassNames = ClassNames,
        Missing = baseOptions is null ? Encoder.Missing : baseOptions.Missing,
    };

    /// <summary>Class probabilities [rows, classes] for a table's rows, its columns matched by name; <paramref name="report"/> counts what was mapped to "other" or filled.</summary>
    /// <param name="table">Rows with at least the model's original columns (extra columns are ignored); labels are not needed.</param>
    /// <param name="report">Receives the per-column counts of unseen, rare and missing values; null to skip counting.</param>
    /// <returns>Row-major probabilities [rows, classes], each row summing to 1, classes in <see cref="ClassNames"/> order.</returns>
    /// <exception cref="ArgumentException">A column the model needs is missing, or has the other kind (read the data with <see cref="ReadingOptions"/>).</exception>
    public float[] PredictProbabilities(Table table, EncodingReport? report = null)
    {
        float[] features = Encoder.Encode(table, report);
        var p = new float[(long)table.RowCount * ClassNames.Count];
        PredictProbabilities(features, table.RowCount, p);
        return p;
    }

    /// <summary>Accuracy, log loss, confusion matrix and per-class metrics on a labelled table, its columns matched by name.</summary>
    /// <param name="table">Labelled rows with at least the model's original columns; its classes must be among the model's.</param>
    /// <param name="report">Receives the per-column counts of unseen, rare and missing values; null to skip counting.</param>
    /// <returns>The metrics over every row of <paramref name="table"/>.</returns>
    /// <exception cref="ArgumentException">The table has no labels or holds a class the model does not know.</exception>
    public ClassificationMetrics Evaluate(Table table, EncodingReport? report = null)
    {
        if (table.Labels is null) throw new ArgumentException("the table has no labels", nameof(table));
        return Evaluate(Encoder.ToDataset(table, report));
    }

    /// <summary>The class probabilities of one row of original columns by name (see <see cref="TableEncoder.EncodeRow"/>).</summary>
    /// <param name="cells">Column name to value: a number (any numeric type) for a numeric column, a string for a categorical one, null for missing.</param>
    /// <param name="report">Receives the counts of unseen, rare and missing values; null to skip counting.</param>
    /// <returns>One probability per class, in <see cref="ClassNames"/> order, summing to 1.</returns>
    public float[] PredictProbabilities(IReadOnlyDictionary<string, object?> cells, EncodingReport? report = null)
    {
        var row = new float[Encoder.FeatureCount];
        Encoder.EncodeRow(cells, row, report);
        return PredictProbabilities(row);
    }

    /// <summary>The most probable class name for one row of original columns by name.</summary>
    /// <param name="cells">Column name to value, as for <see cref="PredictProbabilities(IReadOnlyDictionary{string, object?}, EncodingReport?)"/>.</param>
    /// <returns>The name of the class with the highest probability.</returns>
    public string Predict(IReadOnlyDictionary<string, object?> cells)
    {
        float[] p = PredictProbabilities(cells);
        return ClassNames[System.Numerics.Tensors.TensorPrimitives.IndexOfMax<float>(p)];
    }

    // features [rows, inputs] (encoded, unstandardised, in FeatureNames order) -> probabilities [rows, classes]
    /// <summary>Class probabilities for rows of encoded features (for a model of numeric columns without missing values, the raw rows). Safe to call from any number of threads at once.</summary>
    /// <param name="features">Row-major [rows, <see cref="FeatureNames"/>.Count] encoded, unstandardised features.</param>
    /// <param name="rows">The number of rows.</param>
    /// <param name="probabilities">Receives [rows, classes] probabilities; at least rows × classes long.</param>
    /// <exception cref="ArgumentException">A span's length does not fit <paramref name="rows"/>.</exception>
    public void PredictProbabilities(ReadOnlySpan<float> features, int rows, Span<float> probabilities)
    {
        int inputs = Network.InputCount, classes = Network.ClassCount;
        if (rows < 0) throw new ArgumentOutOfRangeException(nameof(rows));
        if (features.Length != (long)rows * inputs) throw new ArgumentException($"needs {(long)rows * inputs} values for {rows} rows of {inputs} features, has {features.Length}", nameof(features));
        if (probabilities.Length < (long)rows * classes) throw new ArgumentException($"needs room for {(long)rows * classes} probabilities, has {probabilities.Length}", nameof(probabilities));
        if (Standardizer is null)
        {
            Network.PredictProbabilities(features, rows, probabilities);
            return;
        }
        const int chunk = 1024;
        // Each call standardises into its own buffer (on the stack for a few rows), so concurrent calls share nothing mutable.
        int chunkRows = Math.Min(rows, chunk);
        Span<float> scratch = chunkRows * inputs <= 256 ? stackalloc float[chunkRows * inputs] : new float[chunkRows * inputs];
        for (int start = 0; start < rows; start += chunk)
        {
            int batch = Math.Min(chunk, rows - start);
            Span<float> x = scratch[..(batch * inputs)];
            Standardizer.Transform(features.Slice(start * inputs, batch * inputs), x);
            Network.PredictProbabilities(x, batch, probabilities.Slice(start * classes, batch * classes));
        }
    }

    /// <summary>The class probabilities of one row given by feature name (every feature the model needs; other names are an error).</summary>
    /// <param name="features">Feature name to raw value, one entry per name in <see cref="FeatureNames"/>.</param>
    /// <returns>One probability per class, in <see cref="ClassNames"/> order, summing to 1.</returns>
    /// <exception cref="ArgumentException">A feature is missing, or a name is not one of the model's features.</exception>
    public float[] PredictProbabilities(IReadOnlyDictionary<string, float> features)
    {
        ArgumentNullException.ThrowIfNull(features);
        var row = new float[FeatureNames.Count];
        for (int i = 0; i < row.Length; i++)
            if (!features.TryGetValue(FeatureNames[i], out row[i]))
                throw new ArgumentException($"the feature '{FeatureNames[i]}' is missing (the model needs {string.Join(", ", FeatureNames)})", nameof(features));
        foreach (string name in features.Keys)
            if (!FeatureNames.Contains(name)) throw new ArgumentException($"the model has no feature '{name}' (it has {string.Join(", ", FeatureNames)})", nameof(features));
        return PredictProbabilities(row);
    }

    /// <summary>The class probabilities of each raw row (features in <see cref="FeatureNames"/> order). Thread-safe.</summary>
    /// <param name="rows">One array of raw feature values per row.</param>
    /// <returns>One array of class probabilities (in <see cref="ClassNames"/> order) per row.</returns>
    public float[][] PredictProbabilities(float[][] rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        int inputs = Network.InputCount, classes = ClassNames.Count;
        var flat = new float[rows.Length * inputs];
        for (int r = 0; r < rows.Length; r++)
        {
            if (rows[r] is not { } row || row.Length != inputs) throw new ArgumentException($"row {r} has {rows[r]?.Length ?? 0} values; the model takes {inputs} ({string.Join(", ", FeatureNames)})", nameof(rows));
            row.CopyTo(flat, r * inputs);
        }
        var p = new float[rows.Length * classes];
        PredictProbabilities(flat, rows.Length, p);
        return Enumerable.Range(0, rows.Length).Select(r => p.AsSpan(r * classes, classes).ToArray()).ToArray();
    }

    /// <summary>The most probable class name of each raw row. Thread-safe.</summary>
    /// <param name="rows">One array of raw feature values per row.</param>
    /// <returns>A class name per row.</returns>
    public string[] Predict(float[][] rows) =>
        PredictProbabilities(rows).Select(p => ClassNames[System.Numerics.Tensors.TensorPrimitives.IndexOfMax<float>(p)]).ToArray();

    /// <summary>The class probabilities of one raw row.</summary>
    /// <param name="row">The raw feature values in <see cref="FeatureNames"/> order.</param>
    /// <returns>One probability per class, in <see cref="ClassNames"/> order, summing to 1.</returns>
    public float[] PredictProbabilities(ReadOnlySpan<float> row)
    {
        var p = new float[Network.ClassCount];
        PredictProbabilities(row, 1, p);
        return p;
    }

    /// <summary>The most probable class name for one raw row.</summary>
    /// <param name="row">The raw feature values in <see cref="FeatureNames"/> order.</param>
    /// <returns>The name of the class with the highest probability.</returns>
    public string Predict(ReadOnlySpan<float> row)
    {
        float[] p = PredictProbabilities(row);
        return ClassNames[System.Numerics.Tensors.TensorPrimitives.IndexOfMax<float>(p)];
    }

    /// <summary>Accuracy, log loss, confusion matrix and per-class metrics on labelled raw data.</summary>
    /// <remarks>The data is matched to the model by feature and class name (<see cref="Dataset.AlignTo"/>): its columns may come in any
    /// order, extra columns are ignored, and it may lack classes; a missing feature or an unknown class is an error.</remarks>
    /// <param name="data">Labelled rows of raw features.</param>
    /// <returns>The metrics over every row of <paramref name="data"/>.</returns>
    public ClassificationMetrics Evaluate(Dataset data)
    {
        data = data.AlignTo(FeatureNames, ClassNames);
        var p = new float[data.RowCount * Network.ClassCount];
        PredictProbabilities(data.Features, data.RowCount, p);
        return ClassificationMetrics.Compute(data.Labels, p, ClassNames);
    }

    /// <summary>The network and the names, e.g. <c>Dense(4 => 16, Relu) → Dense(16 => 3)  [131 parameters] on 4 features → setosa, versicolor, virginica</c>.</summary>
    /// <returns>One line describing the model.</returns>
    public override string ToString() => $"{Network} on {FeatureNames.Count} features → {string.Join(", ", ClassNames)}";

    /// <summary>Writes the model atomically as one .safetensors file (see <see cref="ModelFile"/>).</summary>
    /// <param name="path">The file to write; its folder must exist.</param>
    /// <param name="overwrite">Whether an existing file may be replaced; false makes an existing file an <see cref="IOException"/>.</param>
    public void Save(string path, bool overwrite = true) => ModelFile.Save(this, path, overwrite);

    /// <summary>Reads a model written by <see cref="Save"/> (any format version this Xent knows), validating every size, name and value.</summary>
    /// <param name="path">The .safetensors file.</param>
    /// <returns>The classifier, with its training history when the file holds one.</returns>
    /// <exception cref="ModelFileException">The file is not a valid Xent model (corrupt, truncated, another format, or a newer version).</exception>
    public static Classifier Load(string path) => ModelFile.Load(path);
}
