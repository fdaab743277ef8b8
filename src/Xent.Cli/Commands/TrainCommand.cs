using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Spectre.Console;
using Xent.Data;
using Xent.Layers;
using Xent.Models;
using Xent.Optimizers;
using Xent.Training;

namespace Xent.Cli.Commands;

/// <summary>
/// <c>xent train</c>: trains a classifier on a CSV file (or the embedded Iris data), shows progress, and ends with a
/// summary; <c>--out</c> saves the model, <c>--checkpoint-dir</c> saves resumable checkpoints.
/// </summary>
public static class TrainCommand
{
    private static readonly TrainerOptions Defaults = new();

    // Data
    public static readonly Option<string?> Data = new("--data") { Description = "Training CSV with a header row (default: the embedded Iris data)" };
    public static readonly Option<string?> Label = new("--label") { Description = "Name of the label column (default: the last column)" };
    public static readonly Option<string?> Ignore = new("--ignore") { Description = "Columns to drop, comma-separated" };
    public static readonly Option<string> Delimiter = new("--delimiter") { Description = "Field separator: one character, or 'tab'", DefaultValueFactory = _ => "," };
    public static readonly Option<double> Validation = new("--validation") { Description = "Fraction of rows held out (stratified) for validation and early stopping; 0 for none", DefaultValueFactory = _ => 0.2 };
    public static readonly Option<string?> ValidationData = new("--validation-data") { Description = "A separate validation CSV (instead of a split)" };

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
    public static readonly Option<string?> Out = new("--out") { Description = "Save the trained model to this .safetensors file" };
    public static readonly Option<bool> Force = new("--force") { Description = "Overwrite an existing --out file" };
    public static readonly Option<string?> CheckpointDir = new("--checkpoint-dir") { Description = "Save a resumable checkpoint in this folder" };
    public static readonly Option<int> CheckpointEvery = new("--checkpoint-every") { Description = "Epochs between checkpoints", DefaultValueFactory = _ => 10 };
    public static readonly Option<string?> Resume = new("--resume") { Description = "Continue the run whose checkpoint is in this folder (its settings are reused)" };
    public static readonly Option<string?> Plot = new("--plot") { Description = "Write loss and accuracy curves and the confusion matrix as PNG and SVG into this folder" };
    public static readonly Option<bool> Json = new("--json") { Description = "Print one JSON object instead of the human-readable output" };
    public static readonly Option<bool> ReportTime = new("--report-time") { Description = "Add the training time in seconds to the --json output (which is otherwise identical for identical runs)" };

    static TrainCommand()
    {
        Hidden.Check(v => { try { OptionParsing.ParseLayerSizes(v ?? "", Hidden.Name); return null; } catch (UserError e) { return e.Message[(Hidden.Name.Length + 1)..]; } });
        ActivationOption.Check(v => Activations.TryParse(v, out _) ? null : $"must be one of relu, leaky-relu, softplus, sigmoid, tanh, identity; got '{v}'");
        Optimizer.Check(v => v is "sgd" or "adam" or "adamw" ? null : $"must be sgd, adam or adamw; got '{v}'");
        ScheduleOption.Check(v => v is "constant" or "step" or "cosine" or "plateau" ? null : $"must be constant, step, cosine or plateau; got '{v}'");
        Monitor.Check(v => v is "loss" or "accuracy" ? null : $"must be loss or accuracy; got '{v}'");
        Delimiter.Check(v => v is "tab" || v?.Length == 1 ? null : $"must be one character or 'tab'; got '{v}'");
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
    }

    public static Command Create(CliConsole console)
    {
        var command = new Command("train", "Train a softmax cross-entropy classifier by backpropagation and gradient descent on a CSV file (or the embedded Iris data) and report loss and accuracy.");
        foreach (Option option in new Option[] { Data, Label, Ignore, Delimiter, Validation, ValidationData, Hidden, ActivationOption, Optimizer, LearningRate,
            Momentum, Nesterov, WeightDecay, ClipNorm, ScheduleOption, BatchSize, Epochs, Seed, Patience, MinDelta, Monitor, NoEarlyStopping, ClassWeights,
            LabelSmoothing, Out, Force, CheckpointDir, CheckpointEvery, Resume, Plot, Json, ReportTime })
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
        public double Validation { get; init; }
        public string? ValidationData { get; init; }
        public int[] Hidden { get; init; } = [];
        public Activation Activation { get; init; }
        public bool BalancedClassWeights { get; init; }
        public TrainerOptions Trainer { get; init; } = new();
        public string? Out { get; init; }
        public bool Force { get; init; }
        public string? CheckpointDir { get; init; }
        public int CheckpointEvery { get; init; } = 10;
        public string? Plot { get; init; }
    }

    private static int Run(ParseResult parse, CliConsole console, CancellationToken cancellationToken)
    {
        bool json = parse.GetValue(Json);
        TrainSettings settings;
        string? resume = parse.GetValue(Resume);
        if (resume is not null)
        {
            try { settings = JsonSerializer.Deserialize<TrainSettings>(Checkpoint.ReadSettings(resume), Classifier.JsonOptions) ?? throw new JsonException(); }
            catch (JsonException) { throw new UserError($"{resume}: the checkpoint's settings cannot be read; start a new run"); }
            settings = settings with { CheckpointDir = resume };
        }
        else settings = ReadSettings(parse);

        if (settings.Out is { } outPath && File.Exists(outPath) && !settings.Force && resume is null)
            throw new UserError($"{outPath} already exists; pass --force to overwrite it or choose another --out");

        (Dataset data, Dataset? validation, string source) = LoadData(settings);
        var options = new ClassifierOptions
        {
            Hidden = settings.Hidden,
            Activation = settings.Activation,
            ValidationFraction = settings.ValidationData is null ? settings.Validation : 0,
            BalancedClassWeights = settings.BalancedClassWeights,
            Trainer = settings.Trainer,
        };
        if (settings.Trainer.ClassWeights is { } weights && weights.Length != data.ClassCount)
            throw new UserError($"--class-weights has {weights.Length} weights but the data has {data.ClassCount} classes ({string.Join(", ", data.ClassNames)})");

        string settingsJson = JsonSerializer.Serialize(settings, Classifier.JsonOptions);
        var hooks = new Classifier.TrainingHooks
        {
            BeforeTraining = resume is null ? null : trainer => Checkpoint.Restore(resume, trainer),
            EpochCompleted = settings.CheckpointDir is { } dir
                ? trainer => { if (trainer.Epoch % settings.CheckpointEvery == 0) Checkpoint.Save(dir, trainer, settingsJson); }
                : null,
        };

        if (!json)
        {
            string hiddenText = settings.Hidden.Length == 0 ? "no hidden layer" : $"hidden {string.Join(",", settings.Hidden)} {settings.Activation}";
            string validationText = settings.ValidationData is not null ? $"validation from {Path.GetFileName(settings.ValidationData)}"
                : settings.Validation > 0 ? $"{settings.Validation:P0} stratified validation split" : "no validation data";
            console.Ansi.MarkupLineInterpolated($"Training on [bold]{source}[/]: {data.RowCount} rows, {data.FeatureCount} features, {data.ClassCount} classes; {hiddenText}; {validationText}; features standardised.");
            if (resume is not null) console.Ansi.MarkupLineInterpolated($"Resuming from the checkpoint in {resume}.");
        }

        var clock = System.Diagnostics.Stopwatch.StartNew();
        Classifier model = json
            ? Classifier.Train(data, options, validation, null, hooks, cancellationToken)
            : TrainWithProgress(console, data, options, validation, hooks, cancellationToken);
        TrainingResult result = model.TrainingResult!;
        double trainingSeconds = clock.Elapsed.TotalSeconds;

        // Re-create the split the trainer used, to report on exactly those rows.
        (Dataset trainPart, Dataset? validationPart) = validation is not null ? (data, validation)
            : settings.Validation > 0 ? Split.Stratified(data, settings.Validation, settings.Trainer.Seed) : (data, (Dataset?)null);
        ClassificationMetrics trainMetrics = model.Evaluate(trainPart);
        ClassificationMetrics? validationMetrics = validationPart is null ? null : model.Evaluate(validationPart);

        if (result.StopReason == StopReason.NonFiniteLoss)
        {
            console.Error.WriteLine($"xent train: error: {result.Describe()}; no model was saved");
            return 1;
        }
        if (settings.Out is { } path)
        {
            try { model.Save(path, overwrite: settings.Force || resume is not null); }
            catch (IOException e) when (e is not ModelFileException) { throw new UserError($"{path}: cannot write the model ({e.Message})"); }
        }
        if (settings.Plot is { } plotDir) TrainingPlots.Write(plotDir, result, validationMetrics ?? trainMetrics);

        if (json) WriteJson(console, result, trainMetrics, validationMetrics, model, settings, parse.GetValue(ReportTime) ? trainingSeconds : null);
        else WriteSummary(console, result, trainMetrics, validationMetrics, model, settings);
        return 0;
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
                if (!float.TryParse(cells[i], NumberStyles.Float, CultureInfo.InvariantCulture, out explicitWeights[i]) || !(explicitWeights[i] >= 0) || !float.IsFinite(explicitWeights[i]))
                    throw new UserError($"--class-weights takes 'balanced' or non-negative numbers such as 1,2.5,1; '{cells[i]}' is not one");
        }
        Activations.TryParse(parse.GetValue(ActivationOption), out Activation activation);
        OptimizerKind optimizer = parse.GetValue(Optimizer) switch { "sgd" => OptimizerKind.Sgd, "adamw" => OptimizerKind.AdamW, _ => OptimizerKind.Adam };
        bool nesterov = parse.GetValue(Nesterov);
        if (nesterov && optimizer != OptimizerKind.Sgd) throw new UserError("--nesterov needs --optimizer sgd");
        if (parse.GetValue(Resume) is not null) throw new UserError("--resume takes no other training options; they come from the checkpoint");
        var trainer = new TrainerOptions
        {
            Optimizer = optimizer,
            LearningRate = parse.GetValue(LearningRate),
            Momentum = parse.GetValue(Momentum),
            Nesterov = nesterov,
            WeightDecay = parse.GetValue(WeightDecay),
            GradientClipNorm = parse.GetValue(ClipNorm),
            Schedule = parse.GetValue(ScheduleOption) switch { "step" => ScheduleKind.Step, "cosine" => ScheduleKind.Cosine, "plateau" => ScheduleKind.ReduceOnPlateau, _ => ScheduleKind.Constant },
            BatchSize = parse.GetValue(BatchSize),
            Epochs = parse.GetValue(Epochs),
            Seed = parse.GetValue(Seed),
            Patience = parse.GetValue(Patience),
            MinDelta = parse.GetValue(MinDelta),
            Monitor = parse.GetValue(Monitor) == "accuracy" ? MonitorKind.ValidationAccuracy : MonitorKind.ValidationLoss,
            EarlyStopping = !parse.GetValue(NoEarlyStopping),
            ClassWeights = explicitWeights,
            LabelSmoothing = parse.GetValue(LabelSmoothing),
        };
        trainer = trainer with { MinimumLearningRate = Math.Min(trainer.MinimumLearningRate, trainer.LearningRate) };
        return new TrainSettings
        {
            Data = parse.GetValue(Data) is { } d ? Path.GetFullPath(d) : null,
            Label = parse.GetValue(Label),
            Ignore = parse.GetValue(Ignore)?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries) ?? [],
            Delimiter = delimiter == "tab" ? '\t' : delimiter[0],
            Validation = parse.GetValue(Validation),
            ValidationData = parse.GetValue(ValidationData) is { } v ? Path.GetFullPath(v) : null,
            Hidden = OptionParsing.ParseLayerSizes(parse.GetValue(Hidden)!, Hidden.Name),
            Activation = activation,
            BalancedClassWeights = classWeights == "balanced",
            Trainer = trainer,
            Out = parse.GetValue(Out) is { } o ? Path.GetFullPath(o) : null,
            Force = parse.GetValue(Force),
            CheckpointDir = parse.GetValue(CheckpointDir) is { } c ? Path.GetFullPath(c) : null,
            CheckpointEvery = parse.GetValue(CheckpointEvery),
            Plot = parse.GetValue(Plot) is { } p ? Path.GetFullPath(p) : null,
        };
    }

    private static (Dataset Data, Dataset? Validation, string Source) LoadData(TrainSettings settings)
    {
        if (settings.Data is null)
        {
            if (settings.Label is not null || settings.Ignore.Length > 0 || settings.ValidationData is not null)
                throw new UserError("--label, --ignore and --validation-data need --data FILE");
            return (Iris.Load(), null, "the embedded Iris data");
        }
        var csv = new CsvOptions { Delimiter = settings.Delimiter, Label = settings.Label, Ignore = settings.Ignore };
        Dataset data = CsvData.Read(settings.Data, csv).ToDataset();
        Dataset? validation = null;
        if (settings.ValidationData is { } v)
            validation = CsvData.Read(v, csv with { FeatureNames = data.FeatureNames, ClassNames = data.ClassNames, Label = settings.Label ?? LabelName(settings.Data, settings.Delimiter) }).ToDataset();
        return (data, validation, Path.GetFileName(settings.Data));
    }

    // The header name of the last column, which is the label column when --label is not given.
    private static string LabelName(string path, char delimiter)
    {
        using var reader = new StreamReader(path);
        string header = reader.ReadLine() ?? "";
        return header.Split(delimiter).Last().Trim().Trim('"');
    }

    private static Classifier TrainWithProgress(CliConsole console, Dataset data, ClassifierOptions options, Dataset? validation, Classifier.TrainingHooks hooks, CancellationToken cancellationToken)
    {
        int maxEpochs = options.Trainer.Epochs;
        if (!console.IsInteractive)
        {
            int every = Math.Max(1, maxEpochs / 10);
            return Classifier.Train(data, options, validation, new InlineProgress(r =>
            {
                if (r.Epoch % every == 0 || r.Epoch == 1)
                    console.Ansi.WriteLine(r.ValidationLoss is null
                        ? $"epoch {r.Epoch,5}/{r.MaxEpochs}  loss {r.TrainLoss:F4}  learning rate {r.LearningRate:G3}"
                        : $"epoch {r.Epoch,5}/{r.MaxEpochs}  loss {r.TrainLoss:F4}  validation loss {r.ValidationLoss:F4}  validation accuracy {r.ValidationAccuracy:P1}  learning rate {r.LearningRate:G3}");
            }), hooks, cancellationToken);
        }
        Classifier? model = null;
        console.Ansi.Progress().AutoClear(false).HideCompleted(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(context =>
            {
                ProgressTask task = context.AddTask("training", maxValue: maxEpochs);
                model = Classifier.Train(data, options, validation, new InlineProgress(r =>
                {
                    task.Value = r.Epoch;
                    task.Description = r.ValidationLoss is null
                        ? $"epoch {r.Epoch}  loss {r.TrainLoss:F4}"
                        : $"epoch {r.Epoch}  loss {r.TrainLoss:F4}  val loss {r.ValidationLoss:F4}  val acc {r.ValidationAccuracy:P1}";
                }), hooks, cancellationToken);
                task.Value = maxEpochs;
            });
        return model!;
    }

    private static void WriteSummary(CliConsole console, TrainingResult result, ClassificationMetrics train, ClassificationMetrics? validation, Classifier model, TrainSettings settings)
    {
        console.Ansi.MarkupLineInterpolated($"Network: [bold]{model.Network.ToString()}[/]");
        console.Ansi.MarkupLineInterpolated($"Stopped after [bold]{result.Epochs}[/] epochs: {result.Describe()}.");
        var table = new Table().AddColumn("").AddColumn(new TableColumn("loss").RightAligned()).AddColumn(new TableColumn("accuracy").RightAligned())
            .AddColumn(new TableColumn("macro F1").RightAligned()).AddColumn(new TableColumn("rows").RightAligned());
        table.AddRow("training", $"{train.LogLoss:F4}", $"{train.Accuracy:P1}", $"{train.MacroF1:F3}", $"{train.RowCount}");
        if (validation is not null) table.AddRow("validation", $"{validation.LogLoss:F4}", $"{validation.Accuracy:P1}", $"{validation.MacroF1:F3}", $"{validation.RowCount}");
        console.Ansi.Write(table);
        if (validation is not null) MetricsReport.Write(console, validation, "Validation");
        if (settings.Out is { } path) console.Ansi.MarkupLineInterpolated($"Saved the model to [bold]{path}[/].");
        if (settings.Plot is { } plots) console.Ansi.MarkupLineInterpolated($"Wrote the plots to [bold]{plots}[/].");
    }

    private static void WriteJson(CliConsole console, TrainingResult result, ClassificationMetrics train, ClassificationMetrics? validation, Classifier model, TrainSettings settings, double? trainingSeconds)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, JsonOutput.Options))
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
            if (trainingSeconds is double seconds) writer.WriteNumber("trainingSeconds", seconds);
            writer.WriteString("network", model.Network.ToString());
            writer.WriteStartArray("classes");
            foreach (string c in model.ClassNames) writer.WriteStringValue(c);
            writer.WriteEndArray();
            if (settings.Out is { } path) writer.WriteString("model", path); else writer.WriteNull("model");
            writer.WriteEndObject();
        }
        console.Out.WriteLine(System.Text.Encoding.UTF8.GetString(stream.ToArray()));
    }
}

/// <summary>An <see cref="IProgress{T}"/> that runs its handler synchronously on the reporting thread.</summary>
internal sealed class InlineProgress(Action<EpochReport> handler) : IProgress<EpochReport>
{
    public void Report(EpochReport value) => handler(value);
}
