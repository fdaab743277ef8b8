using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Spectre.Console;
using Xent.Data;
using Xent.Distributed;
using Xent.Models;
using Xent.Training;
using Table = Xent.Data.Table;

namespace Xent.Cli.Commands;

/// <summary>
/// <c>xent train</c>: trains a classifier on a CSV file (or the embedded Iris data), shows progress, and ends with a
/// summary; <c>--out</c> saves the model, <c>--checkpoint-dir</c> saves resumable checkpoints.
/// </summary>
internal static partial class TrainCommand
{
    private static readonly TrainerOptions Defaults = new();

    // Data
    public static readonly Option<string?> Data = CommonOptions.Data("Training data (default: the embedded Iris data)", required: false);
    public static readonly Option<string?> Label = CommonOptions.Label("the last column");
    public static readonly Option<string?> Ignore = new("--ignore") { Description = "Columns to drop, comma-separated" };
    public static readonly Option<string> Delimiter = CommonOptions.Delimiter();
    public static readonly Option<double> Validation = new("--validation") { Description = "Fraction of rows held out (stratified) for validation and early stopping; 0 for none", DefaultValueFactory = _ => 0.2 };
    public static readonly Option<string?> ValidationData = new("--validation-data") { Description = "Separate validation data (a file, folder or glob, as for --data) instead of a split" };
    public static readonly Option<string?> CategoricalColumns = new("--categorical") { Description = "Columns to read as categories even if every value is a number (e.g. postcodes), comma-separated" };
    public static readonly Option<string?> NumericColumns = new("--numeric") { Description = "Columns that must hold numbers (a text value is an error), comma-separated" };
    public static readonly Option<int> MaxCategories = new("--max-categories") { Description = "Most frequent categories of a column that get their own one-hot feature; the rest share an 'other' feature", DefaultValueFactory = _ => TableEncoder.DefaultMaxCategories };
    public static readonly Option<string?> Missing = new("--missing") { Description = "Missing values (empty, NA, N/A, NaN): 'impute' (numbers: the training mean plus a was-missing feature; categories: a 'missing' category) or 'error'", DefaultValueFactory = _ => "impute" };
    public static readonly Option<bool> DropUnlabelled = new("--drop-unlabelled") { Description = "Leave out rows whose label is empty or NaN instead of stopping" };

    // Model
    public static readonly Option<string> Hidden = new("--hidden") { Description = "Hidden layer sizes, comma-separated (e.g. 16,8); 'none' for a linear softmax classifier", DefaultValueFactory = _ => "16" };
    public static readonly Option<string> ActivationOption = new("--activation") { Description = "Hidden-layer activation: relu, leaky-relu, softplus, sigmoid, tanh or identity", DefaultValueFactory = _ => "relu" };

    // Optimisation
    public static readonly Option<string> Optimizer = new("--optimizer") { Description = "sgd, adam or adamw", DefaultValueFactory = _ => "adam" };
    public static readonly Option<float> LearningRate = new("--learning-rate") { Description = "Step size η", DefaultValueFactory = _ => Defaults.LearningRate };
    public static readonly Option<float> Momentum = new("--momentum") { Description = "SGD momentum μ in [0, 1)", DefaultValueFactory = _ => Defaults.Momentum };
    public static readonly Option<bool> Nesterov = new("--nesterov") { Description = "Nesterov momentum (with --optimizer sgd)" };
    public static readonly Option<float> WeightDecay = new("--weight-decay") { Description = "L2 coefficient α for sgd and adam; decoupled decay λ for adamw", DefaultValueFactory = _ => Defaults.WeightDecay };
    public static readonly Option<float> ClipNorm = new("--clip-norm") { Description = "Clip gradients to this global L2 norm; 0 for no clipping", DefaultValueFactory = _ => 0f };
    public static readonly Option<string> ScheduleOption = new("--schedule") { Description = "Learning-rate schedule: constant, step, cosine or plateau", DefaultValueFactory = _ => "constant" };
    public static readonly Option<int> BatchSize = new("--batch-size") { Description = "Rows per gradient step; 0 for the whole training set", DefaultValueFactory = _ => Defaults.BatchSize };
    public static readonly Option<int> Epochs = new("--epochs") { Description = "Maximum number of passes over the training data", DefaultValueFactory = _ => Defaults.Epochs };
    public static readonly Option<long> Seed = new("--seed") { Description = "Seeds the initial weights, the validation split and the shuffling", DefaultValueFactory = _ => 42 };

    // Stopping
    public static readonly Option<int> Patience = new("--patience") { Description = "Epochs without improvement before stopping", DefaultValueFactory = _ => Defaults.Patience };
    public static readonly Option<double> MinDelta = new("--min-delta") { Description = "Smallest change that counts as an improvement", DefaultValueFactory = _ => Defaults.MinDelta };
    public static readonly Option<string> Monitor = new("--monitor") { Description = "What early stopping watches: loss (validation loss) or accuracy (validation accuracy)", DefaultValueFactory = _ => "loss" };
    public static readonly Option<bool> NoEarlyStopping = new("--no-early-stopping") { Description = "Run every epoch (the best validation epoch's weights are still restored)" };

    // Loss
    public static readonly Option<string?> ClassWeights = new("--class-weights") { Description = "'balanced' or one weight per class, comma-separated" };
    public static readonly Option<float> LabelSmoothing = new("--label-smoothing") { Description = "ε in [0, 1]", DefaultValueFactory = _ => 0f };

    // Output
    public static readonly Option<string?> Out = CommonOptions.Out("Save the trained model to this .safetensors file");
    public static readonly Option<bool> Force = CommonOptions.Force();
    public static readonly Option<string?> CheckpointDir = new("--checkpoint-dir") { Description = "Save a resumable checkpoint in this folder" };
    public static readonly Option<int> CheckpointEvery = new("--checkpoint-every") { Description = "Epochs between checkpoints", DefaultValueFactory = _ => 10 };
    public static readonly Option<string?> Resume = new("--resume") { Description = "Continue the run whose checkpoint is in this folder (its settings are reused)" };
    public static readonly Option<string?> Plot = new("--plot") { Description = "Write loss and accuracy curves and the confusion matrix as PNG and SVG into this folder" };
    public static readonly Option<bool> Json = CommonOptions.Json("one object with the run's losses, accuracies, classes and columns");
    public static readonly Option<string> DistributedMode = new("--distributed") { Description = "Data-parallel training over the processes mpirun started: auto (when run by mpirun with -np 2 or more), on or off. Stop such a run with kill -USR1 <mpirun pid> (every process stops after the same batch and the checkpoint is saved); Ctrl-C to mpirun does the same within its odls_base_sigkill_timeout (1 s unless raised with --mca)", DefaultValueFactory = _ => "auto" };
    public static readonly Option<bool> ReportTime = new("--report-time") { Description = "Add the training time in seconds and the peak resident memory in bytes to the --json output (which is otherwise identical for identical runs)" };

    static TrainCommand()
    {
        Hidden.Check(v => { try { OptionParsing.ParseLayerSizes(v ?? "", Hidden.Name); return null; } catch (UserError e) { return e.Message[(Hidden.Name.Length + 1)..]; } });
        ActivationOption.AcceptOnly(Choices.Activations);
        Optimizer.AcceptOnly(Choices.Optimizers);
        ScheduleOption.AcceptOnly(Choices.Schedules);
        Monitor.AcceptOnly(Choices.Monitors);
        Validation.Check(v => v is >= 0 and < 1 ? null : $"must be in [0, 1), got {v.ToString(CultureInfo.InvariantCulture)}");
        LearningRate.MustBePositive();
        Momentum.MustBeInRange(0, 1);
        WeightDecay.Check(v => v >= 0 && float.IsFinite(v) ? null : $"must be zero or positive, got {v.ToString(CultureInfo.InvariantCulture)}");
        ClipNorm.Check(v => v >= 0 && float.IsFinite(v) ? null : $"must be zero (off) or positive, got {v.ToString(CultureInfo.InvariantCulture)}");
        LabelSmoothing.Check(v => v is >= 0 and <= 1 ? null : $"must be in [0, 1], got {v.ToString(CultureInfo.InvariantCulture)}");
        MinDelta.Check(v => v >= 0 && double.IsFinite(v) ? null : $"must be zero or positive, got {v.ToString(CultureInfo.InvariantCulture)}");
        BatchSize.MustBeNonNegative();
        Epochs.MustBePositive();
        Patience.MustBePositive();
        CheckpointEvery.MustBePositive();
        MaxCategories.MustBePositive();
        DistributedMode.AcceptOnlyFromAmong("auto", "on", "off");
        Missing.MustBeMissingPolicy();
    }

    public static Command Create(CliConsole console)
    {
        var command = new Command("train", "Train a softmax cross-entropy classifier by backpropagation and gradient descent on a CSV file (or the embedded Iris data) and report loss and accuracy.");
        foreach (Option option in new Option[] { Data, Label, Ignore, Delimiter, Validation, ValidationData, CategoricalColumns, NumericColumns, MaxCategories, Missing, DropUnlabelled, Hidden, ActivationOption, Optimizer, LearningRate,
            Momentum, Nesterov, WeightDecay, ClipNorm, ScheduleOption, BatchSize, Epochs, Seed, Patience, MinDelta, Monitor, NoEarlyStopping, ClassWeights,
            LabelSmoothing, Out, Force, CheckpointDir, CheckpointEvery, Resume, Plot, Json, ReportTime, DistributedMode, MemoryLimit, CacheDir, KeepCache })
            command.Options.Add(option);
        command.SetAction((parse, cancellationToken) => Task.FromResult(Run(parse, console, cancellationToken)));
        return command;
    }

    /// <summary>Everything that determines a training run; saved in checkpoints so that --resume needs nothing else.</summary>
    public sealed record TrainSettings
    {
        public string? Data { get; init; }
        public string? Label { get; init; }
        public string[] Ignore { get; init; } = [];
        public char Delimiter { get; init; } = ',';
        public string? ValidationData { get; init; }
        public string[] Categorical { get; init; } = [];
        public string[] Numeric { get; init; } = [];
        public bool DropUnlabelled { get; init; }
        /// <summary>What is built and how it trains, as the library takes it (its validation fraction is 0 with --validation-data).</summary>
        public ClassifierOptions Model { get; init; } = new();
        public string? Out { get; init; }
        public bool Force { get; init; }
        public string? CheckpointDir { get; init; }
        public int CheckpointEvery { get; init; } = 10;
        public string? Plot { get; init; }
        /// <summary>Bytes the training data may take in memory; more, and it is streamed (0 in checkpoints older than streaming: the default).</summary>
        public long MemoryLimit { get; init; }
        public string? CacheDir { get; init; }
        public bool KeepCache { get; init; }
    }

    // What --resume may be given with: where the results go, never how the run trains.
    private static readonly Option[] HonouredWithResume = [Resume, Out, Force, Plot, Json, ReportTime, DistributedMode];

    // One run, alone or as one process of a data-parallel group (see TrainCommand.Distributed.cs).
    private static int RunWith(ParseResult parse, CliConsole console, ICollectives group, CancellationToken cancellationToken)
    {
        bool json = parse.GetValue(Json);
        string? resume = parse.GetValue(Resume);
        TrainSettings settings = OnEveryRank(group, () => resume is null ? ReadSettings(parse) : ResumeSettings(parse, resume));

        // Every output is checked, and owned, before any data is read or any epoch runs (by the one process that writes).
        var owned = new List<OutputLock>();
        try
        {
            OnRankZero(group, () => settings = CheckOutputs(settings, resume, owned));
            return group.Size > 1
                ? TrainShared(parse, console, settings, resume, json, group, cancellationToken)
                : Train(parse, console, settings, resume, json, cancellationToken);
        }
        finally
        {
            foreach (OutputLock l in owned) l.Dispose();
        }
    }

    private static TrainSettings CheckOutputs(TrainSettings settings, string? resume, List<OutputLock> owned)
    {
        {
            if (settings.Out is { } outPath)
            {
                settings = settings with { Out = FilePaths.Output(outPath, Out.Name, settings.Force) };
                owned.Add(OutputLock.Acquire(settings.Out!, Out.Name));
            }
            if (settings.CheckpointDir is { } checkpointDir)
            {
                settings = settings with { CheckpointDir = FilePaths.OutputFolder(checkpointDir, resume is null ? CheckpointDir.Name : Resume.Name) };
                if (resume is null && !settings.Force && File.Exists(Path.Combine(settings.CheckpointDir!, Checkpoint.FileName)))
                    throw new UserError($"--checkpoint-dir {checkpointDir} already holds a checkpoint; continue that run with --resume {checkpointDir}, or pass --force to start over");
                owned.Add(OutputLock.Acquire(settings.CheckpointDir!, CheckpointDir.Name));
            }
            if (settings.Plot is { } plotDir)
            {
                PlotFiles.CheckFolder(plotDir, TrainingPlots.Names, settings.Force);
                settings = settings with { Plot = Path.GetFullPath(plotDir) };
            }
        }
        return settings;
    }

    private static int Train(ParseResult parse, CliConsole console, TrainSettings settings, string? resume, bool json, CancellationToken cancellationToken)
    {
        if (settings.MemoryLimit <= 0) settings = settings with { MemoryLimit = DefaultMemoryLimit() };
        if (Streams(settings, out long needed)) return TrainStreamed(parse, console, settings, resume, json, needed, cancellationToken);
        (Table data, Table? validation, string source) = LoadData(settings);
        // The encoding fitted on every row gives the columns' summary and the network's width (training fits it again on its part).
        ClassifierOptions options = settings.Model;
        TableEncoder preview = TableEncoder.Fit(data, options.MaxCategories, options.Missing);
        CheckSize(preview.FeatureCount, data.RowCount, data.ClassCount, settings);
        if (options.Trainer.ClassWeights is { } weights && weights.Length != data.ClassCount)
            throw new UserError($"--class-weights has {weights.Length} weights but the data has {data.ClassCount} classes ({string.Join(", ", data.ClassNames)})");

        string settingsJson = JsonSerializer.Serialize(settings, SettingsJson.Options);
        var run = new RunState();
        Classifier.TrainingHooks hooks = Hooks(settings, resume, settingsJson, run);

        if (!json)
        {
            string dropped = data.DroppedRows > 0 ? $" ({data.DroppedRows} without a label left out)" : "";
            string features = preview.IsPlainNumeric ? $"{preview.FeatureCount} features" : $"{data.Columns.Count} columns encoded as {preview.FeatureCount} features";
            console.Line($"{Describe(settings, source, $"{data.RowCount} rows{dropped}, {features}, {data.ClassCount} classes")}");
            ColumnsReport.Write(console, data, options.MaxCategories);
            if (resume is not null) console.Line($"Resuming from the checkpoint in {resume}.");
        }

        // The split is made once, here, so that the report below measures exactly the rows the model trained and validated on.
        (Table trainPart, Table? validationPart) = validation is not null || options.ValidationFraction == 0 ? (data, validation)
            : Split.Stratified(data, options.ValidationFraction, options.Trainer.Seed);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Classifier model;
        try
        {
            model = TrainGracefully(console, json, options.Trainer.Epochs, progress => Classifier.Train(trainPart, options, validationPart, progress, hooks, cancellationToken));
        }
        catch (OperationCanceledException) when (run.Trainer is not null && cancellationToken.IsCancellationRequested)
        {
            throw Interrupted(run.Trainer, settings, settingsJson);
        }
        double trainingSeconds = clock.Elapsed.TotalSeconds;
        ClassificationMetrics trainMetrics = model.Evaluate(trainPart);
        ClassificationMetrics? validationMetrics = validationPart is null ? null : model.Evaluate(validationPart);
        return Report(parse, console, settings, json, model, trainMetrics, validationMetrics, data, trainingSeconds, run.Trainer!);
    }

    // The end of a run, in memory or streamed (data null): the model and plots written, then the summary or the JSON.
    private static int Report(ParseResult parse, CliConsole console, TrainSettings settings, bool json, Classifier model, ClassificationMetrics trainMetrics,
        ClassificationMetrics? validationMetrics, Table? data, double trainingSeconds, Trainer trainer)
    {
        TrainingResult result = model.TrainingResult!;

        if (result.StopReason == StopReason.NonFiniteLoss)
        {
            console.Error.WriteLine($"xent train: error: the loss became NaN or infinite at epoch {result.Epochs}; no model was saved (try a smaller --learning-rate, --clip-norm 1, or check the data for extreme values)");
            return 1;
        }
        // Plots are drawn in memory before anything is written, so a failure there leaves no model behind either.
        IReadOnlyList<PlotFiles.Rendered>? plots = settings.Plot is null ? null : TrainingPlots.Render(result, validationMetrics ?? trainMetrics);
        if (settings.Out is { } path)
        {
            try { model.Save(path, overwrite: settings.Force); }
            catch (IOException e) when (e is not ModelFileException) { throw new UserError($"{path}: cannot write the model ({e.Message})", 1); }
        }
        if (settings.Plot is { } plotDir) PlotFiles.Write(plotDir, plots!);

        // Streamed data: the pass over it counted the rows, categories and missing cells.
        DataSummary summary = data is not null ? DataSummary.Of(data) : DataSummary.Of(model.Streamed!);
        if (json) WriteJson(console, result, trainMetrics, validationMetrics, model, settings, summary, parse.GetValue(ReportTime) ? trainingSeconds : null, trainer);
        else WriteSummary(console, result, trainMetrics, validationMetrics, model, settings);
        return 0;
    }

    // After an interrupt: the run's state goes into its checkpoint (when it has one), --out is never written.
    private static CommandInterruptedException Interrupted(Trainer trainer, TrainSettings settings, string settingsJson, bool writer = true)
    {
        string at = $"interrupted in epoch {trainer.Epoch + 1} of {settings.Model.Trainer.Epochs}";
        if (settings.CheckpointDir is { } dir)
        {
            if (writer) Checkpoint.Save(dir, trainer, settingsJson);
            return new CommandInterruptedException($"{at}; saved the run's state in {dir}; continue it with: xent train --resume {dir}");
        }
        return new CommandInterruptedException($"{at}; no model was saved (with --checkpoint-dir, an interrupted run can be resumed)");
    }

    // Layer widths and memory are checked before training, so an impossible size is a usage error, not a crash.
    private static void CheckSize(int featureCount, int rowCount, int classCount, TrainSettings settings)
    {
        int[] hidden = settings.Model.Hidden;
        if (hidden.Length + 1 > ModelFile.MaxLayers)
            throw new UserError($"--hidden has {hidden.Length} layers; a model can have at most {ModelFile.MaxLayers - 1} hidden layers");
        long parameters = 0, activations = 0;
        int previous = featureCount;
        foreach (int width in hidden.Append(classCount))
        {
            if (width > ModelFile.MaxWidth)
                throw new UserError($"--hidden {width} is wider than the {ModelFile.MaxWidth} units a layer can have");
            parameters += (long)previous * width + width;
            activations += width;
            previous = width;
        }
        if (parameters * sizeof(float) > int.MaxValue - (16 << 20))
            throw new UserError($"--hidden {string.Join(",", hidden)} makes {parameters:N0} parameters; a model file holds at most about {int.MaxValue / sizeof(float) / 1_000_000:N0} million");
        long batch = settings.Model.Trainer.BatchSize == 0 ? rowCount : Math.Min(settings.Model.Trainer.BatchSize, rowCount);
        // weights, gradients, two optimizer buffers, the best weights; three activation buffers per layer
        long bytes = parameters * sizeof(float) * 5 + batch * activations * sizeof(float) * 3;
        long available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        if (bytes > available)
            throw new UserError($"--hidden {string.Join(",", hidden)} with --batch-size {batch} needs about {bytes / (1 << 20):N0} MB, more than the {available / (1 << 20):N0} MB available; use smaller layers or batches");
    }

    private static TrainSettings ResumeSettings(ParseResult parse, string resume)
    {
        string[] others = parse.CommandResult.Children.OfType<System.CommandLine.Parsing.OptionResult>()
            .Where(r => !r.Implicit && !HonouredWithResume.Contains(r.Option)).Select(r => r.Option.Name).ToArray();
        if (others.Length > 0)
            throw new UserError($"--resume continues the saved run with its own settings, so {string.Join(", ", others)} cannot be given with it (only --out, --force, --plot, --json, --report-time and --distributed can)");
        if (string.IsNullOrWhiteSpace(resume)) throw new UserError("--resume needs the checkpoint folder; got an empty path");
        if (File.Exists(resume)) throw new UserError($"--resume {resume} is a file; give the folder that --checkpoint-dir named");
        if (!Directory.Exists(resume)) throw new UserError($"--resume {resume}: no such folder");
        TrainSettings settings;
        try { settings = JsonSerializer.Deserialize<TrainSettings>(Checkpoint.ReadSettings(resume), SettingsJson.Options) ?? throw new JsonException(); }
        catch (JsonException) { throw new UserError($"{resume}: the checkpoint's settings cannot be read; start a new run"); }
        bool given(Option o) => parse.GetResult(o) is { Implicit: false };
        return settings with
        {
            CheckpointDir = resume,
            // Only this command line's --force counts: a resumed run never replaces a file that appeared meanwhile unless told to.
            Force = parse.GetValue(Force),
            Out = given(Out) ? parse.GetValue(Out) : settings.Out,
            Plot = given(Plot) ? parse.GetValue(Plot) : settings.Plot,
        };
    }

    private static TrainSettings ReadSettings(ParseResult parse)
    {
        string delimiter = parse.GetValue(Delimiter)!;
        string? classWeights = parse.GetValue(ClassWeights);
        float[]? explicitWeights = null;
        if (classWeights is not null && classWeights != "balanced")
        {
            string[] cells = classWeights.Split(',', StringSplitOptions.TrimEntries);
            explicitWeights = new float[cells.Length];
            for (int i = 0; i < cells.Length; i++)
                if (!Numbers.TryParse(cells[i], out explicitWeights[i]) || !(explicitWeights[i] >= 0) || !float.IsFinite(explicitWeights[i]))
                    throw new UserError($"--class-weights takes 'balanced' or non-negative numbers such as 1,2.5,1; '{cells[i]}' is not one");
        }
        Activation activation = parse.Value(ActivationOption, Choices.Activations);
        OptimizerKind optimizer = parse.Value(Optimizer, Choices.Optimizers);
        bool nesterov = parse.GetValue(Nesterov);
        if (nesterov && optimizer != OptimizerKind.Sgd) throw new UserError("--nesterov needs --optimizer sgd");
        var trainer = new TrainerOptions
        {
            Optimizer = optimizer,
            LearningRate = parse.GetValue(LearningRate),
            Momentum = parse.GetValue(Momentum),
            Nesterov = nesterov,
            WeightDecay = parse.GetValue(WeightDecay),
            GradientClipNorm = parse.GetValue(ClipNorm),
            Schedule = parse.Value(ScheduleOption, Choices.Schedules),
            BatchSize = parse.GetValue(BatchSize),
            Epochs = parse.GetValue(Epochs),
            Seed = parse.GetValue(Seed),
            Patience = parse.GetValue(Patience),
            MinDelta = parse.GetValue(MinDelta),
            Monitor = parse.Value(Monitor, Choices.Monitors),
            EarlyStopping = !parse.GetValue(NoEarlyStopping),
            ClassWeights = explicitWeights,
            LabelSmoothing = parse.GetValue(LabelSmoothing),
        };
        trainer = trainer with { MinimumLearningRate = Math.Min(trainer.MinimumLearningRate, trainer.LearningRate) };
        string? validationData = parse.DataValue(ValidationData);
        return new TrainSettings
        {
            Data = parse.DataValue(Data),
            Label = parse.GetValue(Label),
            Ignore = parse.GetValue(Ignore)?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries) ?? [],
            Delimiter = OptionParsing.ParseDelimiter(delimiter),
            ValidationData = validationData,
            Categorical = OptionParsing.ParseNames(parse.GetValue(CategoricalColumns), CategoricalColumns.Name),
            Numeric = OptionParsing.ParseNames(parse.GetValue(NumericColumns), NumericColumns.Name),
            DropUnlabelled = parse.GetValue(DropUnlabelled),
            Model = new ClassifierOptions
            {
                Hidden = OptionParsing.ParseLayerSizes(parse.GetValue(Hidden)!, Hidden.Name),
                Activation = activation,
                // A separate validation file replaces the split.
                ValidationFraction = validationData is null ? parse.GetValue(Validation) : 0,
                BalancedClassWeights = classWeights == "balanced",
                Trainer = trainer,
                MaxCategories = parse.GetValue(MaxCategories),
                Missing = OptionParsing.ParseMissing(parse.GetValue(Missing)!),
            },
            Out = parse.GetValue(Out),
            Force = parse.GetValue(Force),
            CheckpointDir = parse.GetValue(CheckpointDir),
            CheckpointEvery = parse.GetValue(CheckpointEvery),
            Plot = parse.GetValue(Plot),
            MemoryLimit = parse.GetValue(MemoryLimit) is { } limit ? ParseSize(limit, MemoryLimit.Name) : DefaultMemoryLimit(),
            CacheDir = parse.GetValue(CacheDir) is { } cacheDir
                ? Directory.Exists(cacheDir) ? Path.GetFullPath(cacheDir) : throw new UserError($"{CacheDir.Name} {cacheDir}: no such folder; create it first")
                : null,
            KeepCache = parse.GetValue(KeepCache),
        };
    }

    // How the data files are read, in memory or streamed.
    private static CsvOptions ReadingOptions(TrainSettings settings) => new()
    {
        Delimiter = settings.Delimiter,
        Label = settings.Label,
        Ignore = settings.Ignore,
        Categorical = settings.Categorical,
        Numeric = settings.Numeric,
        Missing = settings.Model.Missing,
        DropUnlabelled = settings.DropUnlabelled,
    };

    private static (Table Data, Table? Validation, string Source) LoadData(TrainSettings settings)
    {
        if (settings.Data is null)
        {
            if (settings.Label is not null || settings.Ignore.Length > 0 || settings.ValidationData is not null)
                throw new UserError("--label, --ignore and --validation-data need --data FILE");
            if (settings.Categorical.Length > 0 || settings.Numeric.Length > 0)
                throw new UserError("--categorical and --numeric need --data FILE (the embedded Iris data is all numeric)");
            return (Table.FromDataset(Iris.Load()), null, "the embedded Iris data");
        }
        CsvOptions csv = ReadingOptions(settings);
        Table table = CsvData.ReadTable(settings.Data, csv);
        Table? validation = null;
        // The validation file is read by the training file's column names and types, class names and label column's name.
        if (settings.ValidationData is { } v)
            validation = CsvData.ReadTable(v, csv with
            {
                FeatureNames = table.Columns.Select(c => c.Name).ToArray(),
                FeatureKinds = table.Columns.Select(c => c.Kind).ToArray(),
                ClassNames = table.ClassNames,
                Label = table.LabelColumn,
            });
        return (table, validation, Path.GetFileName(settings.Data));
    }

    // "Training on iris.csv: 150 rows, 4 features, 3 classes; hidden 16 relu; 20% stratified validation split; features standardised."
    private static string Describe(TrainSettings settings, string source, string shape)
    {
        ClassifierOptions model = settings.Model;
        string hidden = model.Hidden.Length == 0 ? "no hidden layer" : $"hidden {string.Join(",", model.Hidden)} {model.Activation}";
        string validation = settings.ValidationData is not null ? $"validation from {Path.GetFileName(settings.ValidationData)}"
            : model.ValidationFraction > 0 ? $"{model.ValidationFraction:P0} stratified validation split" : "no validation data";
        return $"Training on {source}: {shape}; {hidden}; {validation}; features standardised.";
    }

    // train(progress) runs the training, with no progress for --json. While it runs, the first Ctrl-C or SIGTERM stops
    // after the current batch (every process after the same one, in a data-parallel run) instead of ending the process.
    private static Classifier TrainGracefully(CliConsole console, bool json, int maxEpochs, Func<IProgress<EpochReport>?, Classifier> train)
    {
        return Interrupts.RunGracefully(() => json ? train(null) : TrainWithProgress(console, maxEpochs, train));
    }

    // train(progress) runs the training; the progress shown is plain lines when redirected, a live bar on a terminal.
    // addTasks: tasks shown above the epochs' bar (the pass over streamed data).
    private static Classifier TrainWithProgress(CliConsole console, int maxEpochs, Func<IProgress<EpochReport>, Classifier> train, Action<ProgressContext>? addTasks = null)
    {
        if (!console.IsInteractive)
        {
            int every = Math.Max(1, maxEpochs / 10);
            return train(new InlineProgress(r =>
            {
                if (r.Epoch % every == 0 || r.Epoch == 1)
                    console.Ansi.WriteLine(r.ValidationLoss is null
                        ? $"epoch {r.Epoch,5}/{r.MaxEpochs}  loss {r.TrainLoss:F4}  learning rate {r.LearningRate:G3}"
                        : $"epoch {r.Epoch,5}/{r.MaxEpochs}  loss {r.TrainLoss:F4}  validation loss {r.ValidationLoss:F4}  validation accuracy {r.ValidationAccuracy:P1}  learning rate {r.LearningRate:G3}");
            }));
        }
        Classifier? model = null;
        console.Ansi.Progress().AutoClear(false).HideCompleted(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(context =>
            {
                addTasks?.Invoke(context);
                ProgressTask task = context.AddTask("training", maxValue: maxEpochs);
                model = train(new InlineProgress(r =>
                {
                    task.Value = r.Epoch;
                    task.Description = r.ValidationLoss is null
                        ? $"epoch {r.Epoch}  loss {r.TrainLoss:F4}"
                        : $"epoch {r.Epoch}  loss {r.TrainLoss:F4}  val loss {r.ValidationLoss:F4}  val acc {r.ValidationAccuracy:P1}";
                }));
                task.Value = maxEpochs;
            });
        return model!;
    }

    private static void WriteSummary(CliConsole console, TrainingResult result, ClassificationMetrics train, ClassificationMetrics? validation, Classifier model, TrainSettings settings)
    {
        console.Line($"Network: {model.Network.ToString()}");
        console.Line($"Stopped after {result.Epochs} epochs: {result.Describe()}.");
        var table = new Spectre.Console.Table().AddColumn("").AddColumn(new TableColumn("loss").RightAligned()).AddColumn(new TableColumn("accuracy").RightAligned())
            .AddColumn(new TableColumn("macro F1").RightAligned()).AddColumn(new TableColumn("rows").RightAligned());
        table.AddRow("training", $"{train.LogLoss:F4}", $"{train.Accuracy:P1}", $"{train.MacroF1:F3}", $"{train.RowCount}");
        if (validation is not null) table.AddRow("validation", $"{validation.LogLoss:F4}", $"{validation.Accuracy:P1}", $"{validation.MacroF1:F3}", $"{validation.RowCount}");
        console.Ansi.Write(table);
        if (validation is not null) MetricsReport.Write(console, validation, "Validation");
        if (settings.Out is { } path) console.Line($"Saved the model to {path}.");
        if (settings.Plot is { } plots) console.Line($"Wrote the plots to {plots}.");
    }

    private static void WriteJson(CliConsole console, TrainingResult result, ClassificationMetrics train, ClassificationMetrics? validation, Classifier model, TrainSettings settings, DataSummary data, double? trainingSeconds, Trainer trainer)
    {
        console.Out.WriteLine(JsonOutput.Write(writer =>
        {
            writer.WriteStartObject();
            writer.WriteNumber("epochs", result.Epochs);
            writer.WriteString("stopReason", JsonNamingPolicy.CamelCase.ConvertName(result.StopReason.ToString()));
            JsonOutput.Number(writer, "trainLoss", train.LogLoss);
            JsonOutput.Number(writer, "trainAccuracy", train.Accuracy);
            JsonOutput.Number(writer, "validationLoss", validation?.LogLoss ?? double.NaN);
            JsonOutput.Number(writer, "validationAccuracy", validation?.Accuracy ?? double.NaN);
            writer.WriteStartArray("lossHistory");
            foreach (double loss in result.LossHistory) JsonOutput.Number(writer, null, loss);
            writer.WriteEndArray();
            writer.WriteStartArray("validationLossHistory");
            foreach (double loss in result.ValidationLossHistory) JsonOutput.Number(writer, null, loss);
            writer.WriteEndArray();
            writer.WriteNumber("bestEpoch", result.BestEpoch);
            if (trainingSeconds is double seconds)
            {
                writer.WriteNumber("trainingSeconds", seconds);
                // Streamed: the part of it that the pass over the data and the cache took, before the first epoch.
                if (model.Streamed is { } streamed) writer.WriteNumber("readSeconds", streamed.PassTime.TotalSeconds);
                // Data-parallel runs: the time this process spent in the gradient all-reduce (waiting for the others included).
                if (trainer.Group.Size > 1) writer.WriteNumber("allReduceSeconds", trainer.AllReduceTime.TotalSeconds);
                writer.WriteNumber("steps", trainer.Optimizer.StepCount);
                // Measured, so it differs from run to run: only beside the time, never in the reproducible output.
                using var process = System.Diagnostics.Process.GetCurrentProcess();
                writer.WriteNumber("peakMemoryBytes", process.PeakWorkingSet64);
            }
            writer.WriteNumber("ranks", trainer.Group.Size);
            writer.WriteNumber("rows", data.RowCount);
            writer.WriteBoolean("streamed", model.Streamed is not null);
            writer.WriteString("network", model.Network.ToString());
            writer.WriteStartArray("classes");
            foreach (string c in model.ClassNames) writer.WriteStringValue(c);
            writer.WriteEndArray();
            ColumnsReport.WriteJson(writer, data, settings.Model.MaxCategories);
            writer.WriteNumber("features", model.FeatureNames.Count);
            writer.WriteNumber("droppedRows", data.DroppedRows);
            if (settings.Out is { } path) writer.WriteString("model", path); else writer.WriteNull("model");
            writer.WriteEndObject();
        }));
    }
}

/// <summary>An <see cref="IProgress{T}"/> that runs its handler synchronously on the reporting thread.</summary>
internal sealed class InlineProgress(Action<EpochReport> handler) : IProgress<EpochReport>
{
    public void Report(EpochReport value) => handler(value);
}
