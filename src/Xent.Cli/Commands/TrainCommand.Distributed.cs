using System.CommandLine;
using System.Text.Json;
using Xent.Data;
using Xent.Distributed;
using Xent.Models;
using Table = Xent.Data.Table;

namespace Xent.Cli.Commands;

/// <summary>
/// <c>xent train</c> as one process of a data-parallel group started by <c>mpirun -np N xent train …</c>: every process
/// reads its share of the rows and trains on it (see <see cref="Training.Trainer"/>), and process 0 alone prints, writes
/// checkpoints, <c>--out</c> and the plots. A failure that every process meets alike (a bad option, too many processes
/// for the rows, an interrupt) ends all of them with one report from process 0; a failure of one process (its share of
/// the data is bad, it cannot read the file) prints one line naming it, <c>xent train: rank R: …</c>, and MPI_Abort ends
/// the whole job. A process that dies is noticed by mpirun, which ends the others; the survivors find which one it was
/// (<see cref="RankWatch"/>) and one of them names it.
/// </summary>
internal static partial class TrainCommand
{
    private static int Run(ParseResult parse, CliConsole console, CancellationToken cancellationToken)
    {
        string mode = parse.GetValue(DistributedMode)!;
        // mpirun says how many processes it started; under a PMIx launcher that does not, MPI itself is asked.
        bool launched = OpenMpi.LaunchedByMpirun && OpenMpi.LauncherSize is null or > 1;
        if (mode == "off" || mode == "auto" && !launched) return RunWith(parse, console, SingleProcess.Instance, cancellationToken);
        OpenMpi mpi;
        try { mpi = OpenMpi.Initialize(); }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or InvalidOperationException)
        {
            throw new UserError($"--distributed {mode}: {e.Message}");
        }
        int rank = mpi.Rank;
        RankWatch? watch = null;
        if (mpi.Size > 1)
        {
            watch = RankWatch.Gather(mpi);
            Interrupts.Watch(watch, speaks: rank == 0);
        }
        int code;
        try
        {
            code = RunWith(parse, rank == 0 ? console : CliConsole.Silent(console.Error), mpi, cancellationToken);
        }
        catch (SameOnEveryRank e)
        {
            // Every process met it at the same point: process 0 reports it, as XentApp would, and all end alike.
            code = e.ExitCode;
            if (rank == 0)
            {
                Exception error = e.InnerException!;
                if (error is OperationCanceledException)
                {
                    // The stop may have come from another process's signal: mpirun forwards it to every process, so
                    // this one's arrives within moments and gives the exit code (138 for SIGUSR1).
                    var waited = System.Diagnostics.Stopwatch.StartNew();
                    while (Interrupts.SignalExitCode is null && waited.Elapsed < TimeSpan.FromSeconds(2)) Thread.Sleep(10);
                    code = Interrupts.SignalExitCode ?? 130;
                    console.Error.WriteLine($"xent train: {(error is CommandInterruptedException ? error.Message.ReplaceLineEndings(" ").Trim() : "interrupted; nothing was saved")}");
                }
                else console.Error.WriteLine($"xent train: {Failure(error).Message}");
            }
        }
        catch (Exception e) when (mpi.Size > 1)
        {
            (string message, int failure) = Failure(e);
            watch?.MarkReported();
            Cleanup.RunAll();
            // The process's own standard error: under mpirun, only process 0's console prints.
            Console.Error.WriteLine($"xent train: rank {rank}: {message}");
            Console.Error.Flush();
            mpi.Abort(failure);
            return failure;
        }
        // Process 0's exit code for all: the others wait here until process 0 has reported and written everything (a
        // process that exits non-zero first would make mpirun end process 0 in the middle of its report).
        console.Error.Flush();
        Span<byte> shared = [(byte)Math.Clamp(code, 0, 255)];
        mpi.Broadcast(shared, root: 0);
        // A process that exits non-zero makes mpirun end the others (SIGCONT, then SIGTERM), and a process still on its way
        // out would take this one for killed and say so (CI saw it after a SIGUSR1 stop): the mark says it ended knowingly.
        if (shared[0] != 0) watch?.MarkEnding();
        mpi.Dispose();
        return shared[0];
    }

    /// <summary>An error that every process of the group raised at the same point of the run.</summary>
    private sealed class SameOnEveryRank(Exception error, int exitCode) : Exception(error.Message, error)
    {
        public int ExitCode { get; } = exitCode;
    }

    // The one-line report and exit code of a failure, as XentApp reports them.
    private static (string Message, int ExitCode) Failure(Exception e)
    {
        string line = e.Message.ReplaceLineEndings(" ").Trim();
        return e switch
        {
            SameOnEveryRank same => Failure(same.InnerException!) with { ExitCode = same.ExitCode },
            UserError user => ($"error: {line}", user.ExitCode),
            DataFormatException or ModelFileException => ($"error: {LibraryMessages.ForCli(line)}", XentApp.UsageError),
            OperationCanceledException => ("interrupted", 130),
            OutOfMemoryException => ("error: not enough memory for this process's share; use more processes, smaller layers or a smaller --batch-size", 1),
            IOException or UnauthorizedAccessException => ($"error: {line}", 1),
            _ => ($"internal error: {e.GetType().Name}: {line}", 1),
        };
    }

    /// <summary>The error <paramref name="e"/>, marked as met by every process of <paramref name="group"/> at once.</summary>
    private static Exception Same(Xent.Distributed.ICollectives group, Exception e) =>
        group.Size > 1 ? new SameOnEveryRank(e, Failure(e).ExitCode) : e;

    // Runs a step whose errors every process meets alike (the same options, the same agreed numbers).
    private static T OnEveryRank<T>(Xent.Distributed.ICollectives group, Func<T> step)
    {
        try { return step(); }
        catch (Exception e) when (group.Size > 1 && e is UserError or DataFormatException or ModelFileException)
        {
            throw new SameOnEveryRank(e, Failure(e).ExitCode);
        }
    }

    private static void OnEveryRank(Xent.Distributed.ICollectives group, Action step) => OnEveryRank(group, () => { step(); return 0; });

    // Runs a step on process 0 alone (checking or writing the outputs) and tells every process how it went, so a failure
    // there ends all of them alike instead of leaving them waiting in the next collective.
    private static void OnRankZero(Xent.Distributed.ICollectives group, Action step)
    {
        if (group.Size == 1) { step(); return; }
        Exception? failure = null;
        Span<byte> status = [0];
        if (group.Rank == 0)
        {
            try { step(); }
            catch (Exception e) { failure = e; status[0] = (byte)Math.Clamp(Failure(e).ExitCode, 1, 255); }
        }
        group.Broadcast(status, root: 0);
        if (status[0] != 0) throw new SameOnEveryRank(failure ?? new UserError("process 0 failed", status[0]), status[0]);
    }

    // The data-parallel run: every process reads its share of the rows, trains with the others, and process 0 alone
    // reports and writes. Mirrors Train; the columns' types, the encoding and the column report come from all shares.
    private static int TrainShared(ParseResult parse, CliConsole console, TrainSettings settings, string? resume, bool json, Xent.Distributed.ICollectives group, CancellationToken cancellationToken)
    {
        if (settings.DropUnlabelled)
            throw Same(group, new UserError("--drop-unlabelled does not work with data-parallel training yet: every row needs its label (the processes share the rows by their position in the file)"));
        (Table data, Table? validation, string source, int rowCount) = LoadShare(settings, group);
        ClassifierOptions options = settings.Model;
        if (options.Trainer.ClassWeights is { } weights && weights.Length != data.ClassCount)
            throw Same(group, new UserError($"--class-weights has {weights.Length} weights but the data has {data.ClassCount} classes ({string.Join(", ", data.ClassNames)})"));
        DataSummary summary = Summarize(data, rowCount, group);
        SharedSplit split = Classifier.SplitShared(data, RowShare.Of(group), rowCount, group, options, validation);
        TableEncoder encoder = split.Encoder!;
        OnEveryRank(group, () => CheckSize(encoder.FeatureCount, rowCount, data.ClassCount, settings));

        string settingsJson = JsonSerializer.Serialize(settings, SettingsJson.Options);
        Training.Trainer? running = null;
        var hooks = new Classifier.TrainingHooks
        {
            BeforeTraining = trainer =>
            {
                running = trainer;
                if (resume is not null) Checkpoint.Restore(resume, trainer);
            },
            EpochCompleted = settings.CheckpointDir is { } dir && group.Rank == 0
                ? trainer => { if (trainer.Epoch % settings.CheckpointEvery == 0) Checkpoint.Save(dir, trainer, settingsJson); }
            : null,
        };
        if (!json)
        {
            string features = encoder.IsPlainNumeric ? $"{encoder.FeatureCount} features" : $"{data.Columns.Count} columns encoded as {encoder.FeatureCount} features";
            console.Line($"{Describe(settings, source, $"{rowCount} rows, {features}, {data.ClassCount} classes")}");
            ColumnsReport.Write(console, summary, options.MaxCategories);
            console.Line($"Data-parallel on {group.Size} processes: each reads and trains on its share of the rows; one all-reduce of the gradients per batch.");
            if (resume is not null) console.Line($"Resuming from the checkpoint in {resume}.");
        }

        var clock = System.Diagnostics.Stopwatch.StartNew();
        Classifier model;
        try
        {
            // The first signal stops every process after the same batch (agreed in the steps' all-reduce).
            model = TrainGracefully(console, json, options.Trainer.Epochs, progress => Classifier.TrainShared(split, group, options, progress, hooks, cancellationToken));
        }
        catch (OperationCanceledException) when (running is not null)
        {
            throw Same(group, Interrupted(running, settings, settingsJson, writer: group.Rank == 0));
        }
        TrainingResult result = model.TrainingResult!;
        double trainingSeconds = clock.Elapsed.TotalSeconds;
        CheckSameWeights(model, group);

        ClassificationMetrics trainMetrics = model.Evaluate(split.Train.Rows, group);
        ClassificationMetrics? validationMetrics = split.Validation is null ? null : model.Evaluate(split.Validation, group);
        if (result.StopReason == StopReason.NonFiniteLoss)
        {
            if (group.Rank == 0)
                console.Error.WriteLine($"xent train: error: the loss became NaN or infinite at epoch {result.Epochs}; no model was saved (try a smaller --learning-rate, --clip-norm 1, or check the data for extreme values)");
            return 1;
        }
        OnRankZero(group, () =>
        {
            // Plots are drawn in memory before anything is written, so a failure there leaves no model behind either.
            IReadOnlyList<PlotFiles.Rendered>? plots = settings.Plot is null ? null : TrainingPlots.Render(result, validationMetrics ?? trainMetrics);
            if (settings.Out is { } path)
            {
                try { model.Save(path, overwrite: settings.Force); }
                catch (IOException e) when (e is not ModelFileException) { throw new UserError($"{path}: cannot write the model ({e.Message})", 1); }
            }
            if (settings.Plot is { } plotDir) PlotFiles.Write(plotDir, plots!);
            if (json) WriteJson(console, result, trainMetrics, validationMetrics, model, settings, summary, parse.GetValue(ReportTime) ? trainingSeconds : null, running!);
            else WriteSummary(console, result, trainMetrics, validationMetrics, model, settings);
        });
        return 0;
    }

    // This process's share of the rows (RowShare: row i of the file to process i mod N), read as a table whose column
    // types and classes are those of the whole file: a column is categorical when any process found text in it (a
    // process that read it as numbers reads its share again), and classes are numbered over the labels of all shares.
    private static (Table Data, Table? Validation, string Source, int RowCount) LoadShare(TrainSettings settings, Xent.Distributed.ICollectives group)
    {
        RowShare share = RowShare.Of(group);
        if (settings.Data is null)
        {
            if (settings.Label is not null || settings.Ignore.Length > 0 || settings.ValidationData is not null)
                throw Same(group, new UserError("--label, --ignore and --validation-data need --data FILE"));
            if (settings.Categorical.Length > 0 || settings.Numeric.Length > 0)
                throw Same(group, new UserError("--categorical and --numeric need --data FILE (the embedded Iris data is all numeric)"));
            Dataset iris = Iris.Load();
            CheckRanks(group, iris.RowCount, "the embedded Iris data");
            int[] mine = Enumerable.Range(0, iris.RowCount).Where(i => share.Owns(i)).ToArray();
            return (Table.FromDataset(iris.Subset(mine)), null, "the embedded Iris data", iris.RowCount);
        }
        // Read as one process would (--drop-unlabelled is refused above), each process taking its share of the rows.
        CsvOptions csv = ReadingOptions(settings) with { Share = share };
        Table table = CsvData.ReadTable(settings.Data, csv);
        string file = Path.GetFileName(settings.Data);
        Span<int> rows = [table.RowCount];
        group.AllReduceSum(rows);
        if (rows[0] == 0) throw Same(group, new DataFormatException($"{file}: the header is followed by no data rows"));
        CheckRanks(group, rows[0], file);

        int[] categorical = table.Columns.Select(c => c.Kind == ColumnKind.Categorical ? 1 : 0).ToArray();
        group.AllReduceSum(categorical);
        if (table.Columns.Where((c, i) => categorical[i] > 0 && c.Kind == ColumnKind.Numeric).Any())
            table = CsvData.ReadTable(settings.Data, csv with { Categorical = table.Columns.Where((c, i) => categorical[i] > 0).Select(c => c.Name).ToArray() });

        string[] classes = CsvData.SortClassNames(group.AllGather(table.ClassNames).SelectMany(c => c).Distinct());
        if (classes.Length < 2) throw Same(group, new DataFormatException(CsvData.OneClass(file, table.LabelColumn ?? "", classes.FirstOrDefault() ?? "")));
        int[] map = table.ClassNames.Select(c => Array.IndexOf(classes, c)).ToArray();
        table = new Table(table.Columns, table.Labels!.Select(l => map[l]).ToArray(), classes, table.LabelColumn);
        Table? validation = null;
        if (settings.ValidationData is { } v)
            validation = CsvData.ReadTable(v, csv with
            {
                FeatureNames = table.Columns.Select(c => c.Name).ToArray(),
                FeatureKinds = table.Columns.Select(c => c.Kind).ToArray(),
                ClassNames = classes,
                Label = table.LabelColumn,
            });
        return (table, validation, file, rows[0]);
    }

    // The column report of the whole file: missing values all-reduced, each categorical column's distinct categories
    // gathered from every share (the names, once per share).
    private static DataSummary Summarize(Table share, int rowCount, Xent.Distributed.ICollectives group)
    {
        int[] missing = share.Columns.Select(c => c.MissingCount).ToArray();
        group.AllReduceSum(missing);
        var distinct = new int[share.Columns.Count];
        for (int c = 0; c < distinct.Length; c++)
        {
            if (share.Columns[c].Kind != ColumnKind.Categorical) continue;
            string[] mine = share.Columns[c].Categories.OfType<string>().Distinct(StringComparer.Ordinal).ToArray();
            distinct[c] = group.AllGather(Categories(mine)).SelectMany(Categories).Distinct(StringComparer.Ordinal).Count();
        }
        return new DataSummary(share.Columns.Select((c, i) => new ColumnSummary(c.Name, c.Kind, distinct[i], missing[i])).ToArray(), rowCount, 0);
    }

    // A list of category names as bytes and back (length-prefixed UTF-8, so any text survives).
    private static byte[] Categories(string[] names)
    {
        using var buffer = new MemoryStream();
        using (var writer = new BinaryWriter(buffer))
            foreach (string name in names) writer.Write(name);
        return buffer.ToArray();
    }

    private static IEnumerable<string> Categories(byte[] bytes)
    {
        using var reader = new BinaryReader(new MemoryStream(bytes));
        var names = new List<string>();
        while (reader.BaseStream.Position < bytes.Length) names.Add(reader.ReadString());
        return names;
    }

    // Every process needs at least one row to share.
    private static void CheckRanks(Xent.Distributed.ICollectives group, int rows, string source)
    {
        if (rows < group.Size)
            throw Same(group, new UserError($"{source} has {rows} rows, fewer than the {group.Size} processes that would share them; start at most {rows} (mpirun -np {rows})"));
    }

    // Every process must end with process 0's weights (they took the same steps); anything else is a bug worth stopping for.
    private static void CheckSameWeights(Classifier model, Xent.Distributed.ICollectives group)
    {
        foreach (Layers.Parameter p in model.Network.Parameters)
        {
            float[] root = p.Value.ToArray();
            group.Broadcast(root, root: 0);
            if (!root.AsSpan().SequenceEqual(p.Value))
                throw new InvalidOperationException($"the weights of '{p.Name}' differ from process 0's after training");
        }
    }
}
