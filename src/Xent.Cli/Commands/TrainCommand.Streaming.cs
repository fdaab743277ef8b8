using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Spectre.Console;
using Xent.Data;
using Xent.Models;
using Xent.Training;

namespace Xent.Cli.Commands;

/// <summary>
/// <c>xent train</c> on data larger than <c>--memory-limit</c>: the data is streamed through a row cache on disk
/// (<see cref="StreamingData"/>) instead of read into memory. Data that fits is trained in memory as before.
/// </summary>
internal static partial class TrainCommand
{
    public static readonly Option<string?> MemoryLimit = new("--memory-limit")
    {
        Description = "Memory for the training data, e.g. 512MB or 4GB (KB, MB, GB, TB are powers of 1024; a plain number is bytes). Data that needs more is streamed: read once into a row cache on disk and trained from it a buffer at a time (default: a quarter of the machine's memory)",
    };
    public static readonly Option<string?> CacheDir = new("--cache-dir") { Description = "Folder for the row cache of streamed data (default: the system's temporary folder); the cache is removed at the end unless --keep-cache" };
    public static readonly Option<bool> KeepCache = new("--keep-cache") { Description = "Keep the row cache of streamed data (in --cache-dir, or the temporary folder); a later run on the same unchanged files with the same reading, --validation, --seed and --memory-limit options reuses it instead of reading the data" };

    /// <summary>The default limit: a quarter of the memory the runtime sees (the machine's, or the container's limit).</summary>
    private static long DefaultMemoryLimit() => Math.Max(1L << 20, GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 4);

    /// <summary>A size such as 512MB, 4GB, 1.5G or 1000000 (bytes); units are powers of 1024, case does not matter.</summary>
    internal static long ParseSize(string text, string option)
    {
        var match = System.Text.RegularExpressions.Regex.Match(text.Trim(), @"^([0-9]+(?:\.[0-9]+)?)\s*([KMGT]?)(?:I?B)?$", System.Text.RegularExpressions.RegexOptions.IgnoreCase | System.Text.RegularExpressions.RegexOptions.CultureInvariant);
        if (!match.Success || !double.TryParse(match.Groups[1].Value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double value))
            throw new UserError($"{option} takes a size such as 512MB, 4GB or a number of bytes; got '{text}'");
        int power = "KMGT".IndexOf(char.ToUpperInvariant(match.Groups[2].Value.FirstOrDefault(' '))) + 1;
        double bytes = Math.Floor(value * Math.Pow(1024, power));
        if (!(bytes >= 1) || bytes > long.MaxValue / 2) throw new UserError($"{option} must be at least 1 byte and at most 4 EB; got '{text}'");
        return (long)bytes;
    }

    internal static string FormatSize(long bytes) => bytes >= 1L << 30 && bytes % (1L << 30) == 0 ? $"{bytes >> 30}GB"
        : bytes >= 1L << 20 ? $"{bytes / (double)(1L << 20):0.#}MB" : bytes >= 1 << 10 ? $"{bytes / 1024.0:0.#}KB" : $"{bytes}B";

    // Whether the run streams: its data (with a separate validation source) needs more memory than the limit.
    private static bool Streams(TrainSettings settings, out long needed)
    {
        needed = 0;
        if (settings.Data is null) return false;
        needed = StreamingData.EstimateInMemoryBytes(DataSource.Open(settings.Data))
            + (settings.ValidationData is { } v ? StreamingData.EstimateInMemoryBytes(DataSource.Open(v)) : 0);
        return needed > settings.MemoryLimit;
    }

    private static int TrainStreamed(ParseResult parse, CliConsole console, TrainSettings settings, string? resume, bool json, long needed, CancellationToken cancellationToken)
    {
        string limit = FormatSize(settings.MemoryLimit);
        ClassifierOptions options = settings.Model;
        CsvOptions csv = ReadingOptions(settings);
        // The folder of the cache is known from the pass's first report; until the run ends it is removed on a hard stop too.
        object? cleanup = null;
        Action<StreamingPassReport>? show = null;
        var passProgress = new PassProgress(r =>
        {
            if (cleanup is null && !r.Reused && !settings.KeepCache)
            {
                string folder = r.CacheFolder;
                cleanup = Cleanup.Add(() => Directory.Delete(folder, recursive: true));
            }
            show?.Invoke(r);
        });
        var data = new StreamingData(DataSource.Open(settings.Data!), csv)
        {
            MemoryLimitBytes = settings.MemoryLimit,
            CacheDirectory = settings.CacheDir,
            KeepCache = settings.KeepCache,
            PassProgress = passProgress,
        };
        StreamingData? validation = settings.ValidationData is { } v ? new StreamingData(DataSource.Open(v), csv) : null;

        string settingsJson = JsonSerializer.Serialize(settings, SettingsJson.Options);
        var run = new RunState();
        Classifier.TrainingHooks hooks = Hooks(settings, resume, settingsJson, run);
        if (!json)
        {
            console.Line($"{Describe(settings, Path.GetFileName(settings.Data!), $"about {FormatSize(needed)} in memory, more than --memory-limit {limit}, so streamed through a row cache")}");
            if (resume is not null) console.Line($"Resuming from the checkpoint in {resume}.");
        }
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Classifier model;
        try
        {
            model = Interrupts.RunGracefully(() => json
                    ? Classifier.Train(data, options, validation, null, hooks, cancellationToken)
                    : TrainWithProgress(console, options.Trainer.Epochs, progress => Classifier.Train(data, options, validation, progress, hooks, cancellationToken),
                        context =>
                        {
                            // The pass over the data as a task of its own: bytes read, rows, speed and time left.
                            ProgressTask reading = context.AddTask("reading the data", maxValue: Math.Max(1, data.Source.Bytes + (validation?.Source.Bytes ?? 0)));
                            show = r =>
                            {
                                double seconds = Math.Max(1e-3, r.Elapsed.TotalSeconds);
                                reading.Value = r.Completed ? reading.MaxValue : r.BytesRead;
                                reading.Description = r.Reused ? $"reused the kept cache ({r.Rows:N0} rows)"
                                    : $"read {r.Rows:N0} rows  {r.BytesRead / seconds / 1e6:F0} MB/s";
                            };
                        }));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            if (run.Trainer is null) throw new CommandInterruptedException("interrupted while reading the data; nothing was saved");
            throw Interrupted(run.Trainer, settings, settingsJson);
        }
        finally
        {
            if (cleanup is not null) Cleanup.Remove(cleanup);
        }
        StreamedTraining streamed = model.Streamed!;
        // The columns' kinds, categories and missing counts are known once the pass is over.
        if (!json) ColumnsReport.Write(console, DataSummary.Of(streamed), options.MaxCategories);
        return Report(parse, console, settings, json, model, streamed.TrainMetrics, streamed.ValidationMetrics, null, clock.Elapsed.TotalSeconds, run.Trainer!);
    }

    /// <summary>The trainer of the running training, once it exists (for an interrupt's checkpoint).</summary>
    private sealed class RunState
    {
        public Trainer? Trainer { get; set; }
    }

    // Before training: note the trainer and restore the checkpoint being resumed; after every --checkpoint-every epochs: save one.
    private static Classifier.TrainingHooks Hooks(TrainSettings settings, string? resume, string settingsJson, RunState run) => new()
    {
        BeforeTraining = trainer =>
        {
            run.Trainer = trainer;
            if (resume is not null) Checkpoint.Restore(resume, trainer);
        },
        EpochCompleted = settings.CheckpointDir is { } dir
            ? trainer => { if (trainer.Epoch % settings.CheckpointEvery == 0) Checkpoint.Save(dir, trainer, settingsJson); }
        : null,
    };

    private sealed class PassProgress(Action<StreamingPassReport> handler) : IProgress<StreamingPassReport>
    {
        public void Report(StreamingPassReport value) => handler(value);
    }
}
