using System.CommandLine;
using System.Text.Json;
using Spectre.Console;
using Xent.Data;
using Xent.Layers;
using Xent.Training;

namespace Xent.Cli.Commands;

/// <summary><c>xent train</c>: trains a classifier (on the embedded Iris data by default) and prints a summary.</summary>
public static class TrainCommand
{
    public static readonly Option<string> Hidden = new("--hidden")
    {
        Description = "Hidden layer sizes, comma-separated (e.g. 16,8); 'none' for a linear softmax classifier",
        DefaultValueFactory = _ => "16",
    };

    public static readonly Option<string> ActivationOption = new("--activation")
    {
        Description = "Hidden-layer activation: relu, leaky-relu, softplus, sigmoid, tanh or identity",
        DefaultValueFactory = _ => "relu",
    };

    public static readonly Option<float> LearningRate = new("--learning-rate")
    {
        Description = "Gradient-descent step size",
        DefaultValueFactory = _ => new TrainerOptions().LearningRate,
    };

    public static readonly Option<int> BatchSize = new("--batch-size")
    {
        Description = "Rows per gradient step; 0 for the whole training set",
        DefaultValueFactory = _ => new TrainerOptions().BatchSize,
    };

    public static readonly Option<int> Epochs = new("--epochs")
    {
        Description = "Maximum number of passes over the training data",
        DefaultValueFactory = _ => new TrainerOptions().Epochs,
    };

    public static readonly Option<long> Seed = new("--seed")
    {
        Description = "Seeds the initial weights, the validation split and the shuffling",
        DefaultValueFactory = _ => 42,
    };

    public static readonly Option<bool> Json = new("--json")
    {
        Description = "Print one JSON object instead of the human-readable output",
    };

    static TrainCommand()
    {
        Hidden.Validators.Add(r =>
        {
            try { OptionParsing.ParseLayerSizes(r.GetValueOrDefault<string>() ?? "", Hidden.Name); }
            catch (UserError e) { r.AddError(e.Message); }
        });
        ActivationOption.Validators.Add(r =>
        {
            if (!Activations.TryParse(r.GetValueOrDefault<string>(), out _))
                r.AddError($"{ActivationOption.Name} must be one of relu, leaky-relu, softplus, sigmoid, tanh, identity; got '{r.GetValueOrDefault<string>()}'");
        });
        LearningRate.MustBePositive();
        BatchSize.MustBeNonNegative();
        Epochs.MustBePositive();
    }

    public static Command Create(CliConsole console)
    {
        var command = new Command("train", "Train a softmax cross-entropy classifier by backpropagation and gradient descent (on the embedded Iris data by default) and report loss and accuracy.");
        command.Options.Add(Hidden);
        command.Options.Add(ActivationOption);
        command.Options.Add(LearningRate);
        command.Options.Add(BatchSize);
        command.Options.Add(Epochs);
        command.Options.Add(Seed);
        command.Options.Add(Json);
        command.SetAction((parse, cancellationToken) => Task.FromResult(Run(parse, console, cancellationToken)));
        return command;
    }

    private static int Run(ParseResult parse, CliConsole console, CancellationToken cancellationToken)
    {
        int[] hidden = OptionParsing.ParseLayerSizes(parse.GetValue(Hidden)!, Hidden.Name);
        Activations.TryParse(parse.GetValue(ActivationOption), out Activation activation);
        long seed = parse.GetValue(Seed);
        var options = new TrainerOptions
        {
            LearningRate = parse.GetValue(LearningRate),
            BatchSize = parse.GetValue(BatchSize),
            Epochs = parse.GetValue(Epochs),
            Seed = seed,
        };
        bool json = parse.GetValue(Json);

        Dataset data = Iris.Load();
        (Dataset rawTrain, Dataset rawValidation) = Split.Stratified(data, 0.2, seed);
        Standardizer standardizer = Standardizer.Fit(rawTrain);
        Dataset train = standardizer.Transform(rawTrain);
        Dataset validation = standardizer.Transform(rawValidation);
        Network network = Network.CreateClassifier(train.FeatureCount, hidden, train.ClassCount, activation, seed);
        Trainer trainer = Trainer.Create(network, options);

        if (!json)
            console.Ansi.MarkupLineInterpolated($"Training [bold]{network.ToString()}[/] on Iris: {train.RowCount} training rows, {validation.RowCount} validation rows (stratified 20%), features standardised.");

        TrainingResult result = json
            ? trainer.Fit(train, validation, null, cancellationToken)
            : FitWithProgress(console, trainer, train, validation, options, cancellationToken);

        (double trainLoss, double trainAccuracy) = Evaluation.LossAndAccuracy(network, train);
        (double validationLoss, double validationAccuracy) = Evaluation.LossAndAccuracy(network, validation);

        if (json)
        {
            using var stream = new MemoryStream();
            using (var writer = new Utf8JsonWriter(stream))
            {
                writer.WriteStartObject();
                writer.WriteNumber("epochs", result.Epochs);
                writer.WriteString("stopReason", JsonNamingPolicy.CamelCase.ConvertName(result.StopReason.ToString()));
                WriteNumber(writer, "trainLoss", trainLoss);
                WriteNumber(writer, "trainAccuracy", trainAccuracy);
                WriteNumber(writer, "validationLoss", validationLoss);
                WriteNumber(writer, "validationAccuracy", validationAccuracy);
                writer.WriteStartArray("lossHistory");
                foreach (double loss in result.LossHistory) WriteNumber(writer, null, loss);
                writer.WriteEndArray();
                writer.WriteEndObject();
            }
            console.Out.WriteLine(System.Text.Encoding.UTF8.GetString(stream.ToArray()));
        }
        else
        {
            var table = new Table().AddColumn("").AddColumn(new TableColumn("loss").RightAligned()).AddColumn(new TableColumn("accuracy").RightAligned());
            table.AddRow("training", $"{trainLoss:F4}", $"{trainAccuracy:P1}");
            table.AddRow("validation", $"{validationLoss:F4}", $"{validationAccuracy:P1}");
            console.Ansi.MarkupLineInterpolated($"Stopped after [bold]{result.Epochs}[/] epochs: {result.Describe()}.");
            console.Ansi.Write(table);
        }
        return result.StopReason == StopReason.NonFiniteLoss ? 1 : 0;
    }

    private static TrainingResult FitWithProgress(CliConsole console, Trainer trainer, Dataset train, Dataset validation, TrainerOptions options, CancellationToken cancellationToken)
    {
        if (!console.IsInteractive)
        {
            int every = Math.Max(1, options.Epochs / 10);
            return trainer.Fit(train, validation, new InlineProgress(r =>
            {
                if (r.Epoch % every == 0 || r.Epoch == 1)
                    console.Ansi.WriteLine($"epoch {r.Epoch,5}/{r.MaxEpochs}  loss {r.TrainLoss:F4}  validation loss {r.ValidationLoss:F4}  validation accuracy {r.ValidationAccuracy:P1}");
            }), cancellationToken);
        }
        TrainingResult? result = null;
        console.Ansi.Progress().AutoClear(true).Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(context =>
            {
                ProgressTask task = context.AddTask("training", maxValue: options.Epochs);
                result = trainer.Fit(train, validation, new InlineProgress(r =>
                {
                    task.Value = r.Epoch;
                    task.Description = $"epoch {r.Epoch} loss {r.TrainLoss:F4} val {r.ValidationAccuracy:P0}";
                }), cancellationToken);
                task.Value = options.Epochs;
            });
        return result!;
    }

    private static void WriteNumber(Utf8JsonWriter writer, string? name, double value)
    {
        if (name is not null) writer.WritePropertyName(name);
        if (double.IsFinite(value)) writer.WriteNumberValue(value);
        else writer.WriteNullValue();
    }
}

/// <summary>An <see cref="IProgress{T}"/> that runs its handler synchronously on the reporting thread.</summary>
internal sealed class InlineProgress(Action<EpochReport> handler) : IProgress<EpochReport>
{
    public void Report(EpochReport value) => handler(value);
}
