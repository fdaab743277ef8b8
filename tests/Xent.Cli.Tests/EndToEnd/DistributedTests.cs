using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Xent.Cli.Tests.EndToEnd;

/// <summary>
/// Data-parallel training as users start it: <c>mpirun -np N xent train …</c> (Open MPI, on this machine, with
/// <c>--oversubscribe</c>) next to the same run in one process. What they check: the same loss curves as one process
/// within <see cref="Tolerance"/>, bit-identical repeats with the same process count, one writer, a bad row on one
/// process and too many processes reported in one line, a process killed in the middle ending the job with no model
/// file, a checkpoint resumed with other process counts, and the graceful stop (SIGUSR1 to mpirun).
/// </summary>
[Collection(nameof(EndToEndCollection))]
public sealed class DistributedTests : IDisposable
{
    // Encoders compared as their JSON (NaN as a string, should a statistic be one).
    private static readonly JsonSerializerOptions EncoderJson = new() { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    /// <summary>
    /// The largest relative difference allowed between a loss of an N-process run and the single-process run, epoch by
    /// epoch. Only the order of float additions differs (each process sums its rows, then the all-reduce sums the
    /// processes); measured differences stay below 1e-6 over these runs (about 1,000 to 2,500 steps; see bench/README.md),
    /// so 1e-5 leaves room. In an unstable training regime any rounding difference grows, as it would with any other
    /// summation order; the runs here are in a stable one.
    /// </summary>
    private const double Tolerance = 1e-5;

    private readonly string _dir = Directory.CreateTempSubdirectory("xent-mpi-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string PathOf(string name) => Path.Combine(_dir, name);

    // Three classes from a nonlinear rule on Gaussian features.
    private string WriteData(string name, int rows, int features)
    {
        var random = new Xent.Numerics.RandomSource(5);
        using var w = new StreamWriter(PathOf(name));
        w.WriteLine(string.Join(",", Enumerable.Range(0, features).Select(i => $"x{i}")) + ",label");
        for (int r = 0; r < rows; r++)
        {
            double[] x = Enumerable.Range(0, features).Select(_ => random.NextGaussian()).ToArray();
            string label = x[0] + x[1] * x[2] > 0.3 ? "a" : x[3] > 0 ? "b" : "c";
            w.WriteLine(string.Join(",", x.Select(v => v.ToString("F4", CultureInfo.InvariantCulture))) + "," + label);
        }
        return PathOf(name);
    }

    [MpiFact]
    public void LossCurvesMatchOneProcessWithinTheToleranceAndRepeatsAreBitIdentical()
    {
        string data = WriteData("data.csv", 3000, 8);
        // The fused small-network step, and the general path with balanced class weights (a weighted mean's denominator).
        foreach (string[] options in new[] { new[] { "--epochs", "15" }, ["--epochs", "8", "--hidden", "40", "--batch-size", "50", "--class-weights", "balanced"] })
        {
            string[] args = ["train", "--data", data, "--seed", "3", "--json", .. options];
            XentProcess.Result one = XentProcess.Run(_dir, args);
            Assert.True(one.ExitCode == 0, one.ToString());
            foreach (int ranks in new[] { 2, 3 })
            {
                XentProcess.Result first = Mpi.Run(_dir, ranks, args), second = Mpi.Run(_dir, ranks, args);
                Assert.True(first.ExitCode == 0, first.ToString());
                Assert.Equal(first.Output, second.Output);   // bit for bit, every number printed
                Assert.Equal("", first.Error);
                using JsonDocument single = JsonDocument.Parse(one.Output), many = JsonDocument.Parse(first.Output);
                Assert.Equal(ranks, many.RootElement.GetProperty("ranks").GetInt32());
                Assert.Equal(1, single.RootElement.GetProperty("ranks").GetInt32());
                Assert.Equal(single.RootElement.GetProperty("epochs").GetInt32(), many.RootElement.GetProperty("epochs").GetInt32());
                foreach (string curve in new[] { "lossHistory", "validationLossHistory" })
                    AssertCurvesClose(single.RootElement.GetProperty(curve), many.RootElement.GetProperty(curve), $"{curve} with {ranks} processes");
            }
        }
    }

    // Numeric columns with missing cells, categorical ones with more categories than --max-categories keeps and with
    // missing cells, and a column of numbers whose text cells (rows 0, 6, 12, … up to 600) all fall to process 0 with 2 and
    // with 3 processes: the others read it as numbers first and must agree that it is categorical.
    private string WriteMixedData(string name, int rows)
    {
        var random = new Xent.Numerics.RandomSource(11);
        string[] cities = [.. new[] { "paris", "lyon", "oslo", "rome", "bern", "kyiv" }, .. Enumerable.Range(0, 30).Select(i => $"town {i}")];
        using var w = new StreamWriter(PathOf(name));
        w.WriteLine("age,income,city,code,plan,label");
        for (int r = 0; r < rows; r++)
        {
            double age = 40 + 10 * random.NextGaussian(), income = random.NextGaussian();
            string city = cities[random.NextDouble() < 0.8 ? random.NextInt(6) : random.NextInt(cities.Length)];
            string code = r % 6 == 0 && r < 600 ? $"A{r}" : random.NextInt(10).ToString(CultureInfo.InvariantCulture);
            string plan = new[] { "basic", "pro", "", "NA" }[random.NextInt(4)];
            string label = income + (city is "paris" or "oslo" ? 0.5 : 0) > 0.3 ? "a" : age > 40 ? "b" : "c";
            w.WriteLine(string.Join(",",
                random.NextDouble() < 0.1 ? "" : age.ToString("F2", CultureInfo.InvariantCulture), income.ToString("F4", CultureInfo.InvariantCulture),
                random.NextDouble() < 0.05 ? "" : city, code, plan, label));
        }
        return PathOf(name);
    }

    [MpiFact]
    public void ATableWithCategoriesAndMissingValuesGivesOneProcesssEncoderAndCurvesAndRepeatsBitForBit()
    {
        string data = WriteMixedData("mixed.csv", 3000);
        string[] args = ["train", "--data", data, "--seed", "3", "--epochs", "15", "--max-categories", "10", "--json"];
        XentProcess.Result one = XentProcess.Run(_dir, [.. args, "--out", "one.safetensors"]);
        Assert.True(one.ExitCode == 0, one.ToString());
        Xent.Classifier single = Xent.Classifier.Load(PathOf("one.safetensors"));
        Assert.Contains(single.Encoder.Columns, c => c.Name == "code" && c.Kind == Xent.ColumnKind.Categorical && c.RareCategories.Length > 0);
        Assert.Contains(single.Encoder.Columns, c => c.Name == "age" && c.MissingIndicator);
        foreach (int ranks in new[] { 2, 3 })
        {
            XentProcess.Result first = Mpi.Run(_dir, ranks, [.. args, "--out", $"{ranks}a.safetensors"]);
            XentProcess.Result second = Mpi.Run(_dir, ranks, [.. args, "--out", $"{ranks}b.safetensors"]);
            Assert.True(first.ExitCode == 0, first.ToString());
            Assert.Equal("", first.Error);
            Assert.Equal(first.Output.Replace($"{ranks}a.safetensors", "M", StringComparison.Ordinal), second.Output.Replace($"{ranks}b.safetensors", "M", StringComparison.Ordinal));
            Assert.Equal(File.ReadAllBytes(PathOf($"{ranks}a.safetensors")), File.ReadAllBytes(PathOf($"{ranks}b.safetensors")));

            // The encoder (kept and rare categories, fills, indicators) and the standardisation are those of one process.
            Xent.Classifier many = Xent.Classifier.Load(PathOf($"{ranks}a.safetensors"));
            Assert.Equal(JsonSerializer.Serialize(single.Encoder.Columns, EncoderJson), JsonSerializer.Serialize(many.Encoder.Columns, EncoderJson));
            Assert.Equal(single.Encoder.Missing, many.Encoder.Missing);
            Assert.Equal(single.Standardizer!.Mean, many.Standardizer!.Mean);
            Assert.Equal(single.Standardizer.Deviation, many.Standardizer.Deviation);
            using JsonDocument expected = JsonDocument.Parse(one.Output), actual = JsonDocument.Parse(first.Output);
            Assert.Equal(expected.RootElement.GetProperty("columns").ToString(), actual.RootElement.GetProperty("columns").ToString());
            Assert.Equal(3000, actual.RootElement.GetProperty("rows").GetInt32());
            foreach (string curve in new[] { "lossHistory", "validationLossHistory" })
                AssertCurvesClose(expected.RootElement.GetProperty(curve), actual.RootElement.GetProperty(curve), $"{curve} with {ranks} processes");
        }
    }

    [MpiFact]
    public void OnlyProcessZeroPrintsAndWritesAndTheModelFilesRepeatByteForByte()
    {
        string data = WriteData("data.csv", 600, 5);
        string[] args = ["train", "--data", data, "--epochs", "6", "--checkpoint-dir", "ckpt", "--checkpoint-every", "2", "--plot", "plots"];
        XentProcess.Result run = Mpi.Run(_dir, 3, [.. args, "--out", "a.safetensors"]);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("", run.Error);
        Assert.Single(run.Output.Split('\n'), l => l.StartsWith("Training on data.csv: 600 rows", StringComparison.Ordinal));
        Assert.Single(run.Output.Split('\n'), l => l.StartsWith("Data-parallel on 3 processes", StringComparison.Ordinal));
        Assert.Single(run.Output.Split('\n'), l => l.StartsWith("Saved the model to", StringComparison.Ordinal));
        Assert.Single(run.Output.Split('\n'), l => l.StartsWith("epoch     6/6", StringComparison.Ordinal));
        Assert.True(File.Exists(PathOf("ckpt/checkpoint.safetensors")));
        Assert.NotEmpty(Directory.GetFiles(PathOf("plots")));
        XentProcess.Result again = Mpi.Run(_dir, 3, [.. args, "--out", "b.safetensors", "--force"]);
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Equal(File.ReadAllBytes(PathOf("a.safetensors")), File.ReadAllBytes(PathOf("b.safetensors")));
        // Nothing besides the data, the two models, the checkpoint and the plots: no temporary or lock files left.
        string[] others = Directory.EnumerateFiles(_dir, "*", SearchOption.AllDirectories).Select(p => Path.GetRelativePath(_dir, p))
            .Where(p => p is not ("data.csv" or "a.safetensors" or "b.safetensors" or "ckpt/checkpoint.safetensors") && !p.StartsWith("plots/", StringComparison.Ordinal)).ToArray();
        Assert.True(others.Length == 0, "left behind: " + string.Join(", ", others));
    }

    [MpiFact]
    public void ABadRowOnOneProcessEndsTheJobWithOneLineNamingIt()
    {
        string data = WriteData("data.csv", 300, 4);
        string[] lines = File.ReadAllLines(data);
        lines[57] += ",7";   // line 58: data row 56, process 56 mod 3 = 2 (a text cell would only make the column categorical)
        File.WriteAllLines(PathOf("bad.csv"), lines);
        XentProcess.Result r = Mpi.Run(_dir, 3, "train", "--data", PathOf("bad.csv"), "--out", "m.safetensors");
        Assert.Equal(2, r.ExitCode);
        // The one line naming the process and the cause; the others, ended by mpirun meanwhile, leave it to that line.
        Assert.Equal("xent train: rank 2: error: bad.csv, line 58: 6 fields but the header has 5; every row needs one value per column", r.Error.Trim());
        XentProcess.AssertCleanError(r);
        Assert.False(File.Exists(PathOf("m.safetensors")));
    }

    [MpiFact]
    public void MoreProcessesThanRowsIsOneClearError()
    {
        File.WriteAllLines(PathOf("two.csv"), ["x,label", "1,a", "2,b"]);
        XentProcess.Result r = Mpi.Run(_dir, 3, "train", "--data", PathOf("two.csv"));
        Assert.Equal(2, r.ExitCode);
        Assert.Equal("xent train: error: two.csv has 2 rows, fewer than the 3 processes that would share them; start at most 2 (mpirun -np 2)", r.Error.Trim());
        Assert.Equal("", r.Output);
        // Leaving rows out is a single-process feature for now (the processes share the rows by position): refused in one line.
        XentProcess.Result dropping = Mpi.Run(_dir, 2, "train", "--data", PathOf("two.csv"), "--drop-unlabelled");
        Assert.Equal(2, dropping.ExitCode);
        Assert.StartsWith("xent train: error: --drop-unlabelled does not work with data-parallel training yet", dropping.Error.Trim());
        Assert.Single(dropping.Error.Trim().Split('\n'));
    }

    [MpiFact]
    public void AKilledProcessEndsTheJobWithoutAModelAndItsCheckpointResumesWithOtherProcessCounts()
    {
        string data = WriteData("big.csv", 20000, 20);
        // A learning rate at which training is stable: at 0.01 this run's validation loss jumps by 10 % from epoch to epoch, and
        // any change of rounding (another process count, another summation order) grows to 1e-3 within 30 epochs.
        string[] run = ["train", "--data", data, "--epochs", "20", "--no-early-stopping", "--hidden", "64", "--seed", "7", "--batch-size", "128",
            "--learning-rate", "0.002", "--checkpoint-every", "1"];
        XentProcess.Result reference = Mpi.Run(_dir, 2, [.. run, "--checkpoint-dir", "reference", "--json"]);
        Assert.True(reference.ExitCode == 0, reference.ToString());

        string marker = Guid.NewGuid().ToString("N");
        using (XentProcess.Running job = Mpi.Start(_dir, 2, marker, [.. run, "--checkpoint-dir", "ckpt", "--out", "m.safetensors", "--json"]))
        {
            var clock = Stopwatch.StartNew();
            while (!File.Exists(PathOf("ckpt/checkpoint.safetensors")))
            {
                Assert.False(job.Process.HasExited, $"the job ended before its first checkpoint:\n{job.Output}\n{job.Error}");
                Assert.True(clock.Elapsed < XentProcess.Limit, "no checkpoint appeared");
                Thread.Sleep(5);
            }
            Process.GetProcessById(Mpi.RankProcess(marker, 1)).Kill();
            clock.Restart();
            XentProcess.Result killed = job.Finish();
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"the job took {clock.Elapsed} to end after a process was killed");
            Assert.NotEqual(0, killed.ExitCode);
            Assert.Matches(KilledLine(1), killed.Error.Trim());
            Assert.Equal("", killed.Output);
            XentProcess.AssertCleanError(killed);
        }
        Assert.Empty(Directory.EnumerateFiles(_dir, "m.safetensors*"));

        // The checkpoint holds the whole set's position, so another number of processes continues it.
        CopyFolder(PathOf("ckpt"), PathOf("ckpt1"));
        XentProcess.Result three = Mpi.Run(_dir, 3, "train", "--resume", "ckpt", "--out", "m3.safetensors", "--json");
        XentProcess.Result one = XentProcess.Run(_dir, "train", "--resume", "ckpt1", "--out", "m1.safetensors", "--json");
        using JsonDocument expected = JsonDocument.Parse(reference.Output);
        foreach ((XentProcess.Result resumed, int ranks) in new[] { (three, 3), (one, 1) })
        {
            Assert.True(resumed.ExitCode == 0, resumed.ToString());
            using JsonDocument actual = JsonDocument.Parse(resumed.Output);
            Assert.Equal(20, actual.RootElement.GetProperty("epochs").GetInt32());
            Assert.Equal(ranks, actual.RootElement.GetProperty("ranks").GetInt32());
            AssertCurvesClose(expected.RootElement.GetProperty("lossHistory"), actual.RootElement.GetProperty("lossHistory"), $"resumed on {ranks}");
        }
        Assert.True(File.Exists(PathOf("m3.safetensors")) && File.Exists(PathOf("m1.safetensors")));
    }

    [MpiFact]
    public void UserSignalOneToMpirunStopsEveryProcessAfterTheSameBatchAndSavesTheCheckpoint()
    {
        string data = WriteData("big.csv", 20000, 20);
        string[] run = ["train", "--data", data, "--epochs", "8", "--no-early-stopping", "--hidden", "64", "--seed", "7", "--batch-size", "128",
            "--learning-rate", "0.002", "--checkpoint-dir", "ckpt", "--checkpoint-every", "100", "--out", "m.safetensors"];
        using (XentProcess.Running job = Mpi.Start(_dir, 3, "", run))
        {
            job.WaitForOutput("epoch     1/8");
            using (Process kill = Process.Start("kill", ["-USR1", job.Process.Id.ToString(CultureInfo.InvariantCulture)])) kill.WaitForExit();
            XentProcess.Result stopped = job.Finish();
            Assert.Equal(138, stopped.ExitCode);
            AssertInterruptedWithACheckpoint(stopped, epochs: 8);
        }
        XentProcess.Result resumed = Mpi.Run(_dir, 2, "train", "--resume", "ckpt", "--json");
        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        using JsonDocument json = JsonDocument.Parse(resumed.Output);
        Assert.Equal(8, json.RootElement.GetProperty("epochs").GetInt32());
        Assert.True(File.Exists(PathOf("m.safetensors")));
    }

    // The one line a survivor prints about a process that was killed: its rank, process id and machine, and the cause.
    private static string KilledLine(int rank) =>
        $@"^xent train: rank {rank} \(process \d+ on {System.Text.RegularExpressions.Regex.Escape(Environment.MachineName)}\) ended without reporting an error: " +
        @"killed by a signal \(such as SIGKILL or the out-of-memory killer's\) or crashed; mpirun ended the job and no model was written$";

    [MpiFact]
    public void AKilledProcessZeroIsNamedByTheNextProcessWithAndWithoutQuietMpirun()
    {
        string data = WriteData("big.csv", 20000, 20);
        string[] run = ["train", "--data", data, "--epochs", "50", "--no-early-stopping", "--hidden", "64", "--batch-size", "128", "--out", "m.safetensors"];
        foreach (bool quiet in new[] { true, false })
        {
            string marker = Guid.NewGuid().ToString("N");
            using XentProcess.Running job = Mpi.Start(_dir, 3, marker, quiet, null, run);
            job.WaitForOutput("epoch     1/50");
            Process.GetProcessById(Mpi.RankProcess(marker, 0)).Kill();
            var clock = Stopwatch.StartNew();
            XentProcess.Result killed = job.Finish();
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"the job took {clock.Elapsed} to end after a process was killed");
            Assert.NotEqual(0, killed.ExitCode);
            // Without -q, mpirun adds its own notice (several lines, its format); xent's own line is there once either way.
            string[] ours = killed.Error.Split('\n').Where(l => l.StartsWith("xent", StringComparison.Ordinal)).ToArray();
            Assert.True(ours.Length == 1, killed.ToString());
            Assert.Matches(KilledLine(0), ours[0]);
            if (quiet) Assert.Equal(ours[0], killed.Error.Trim());
            Assert.Empty(Directory.EnumerateFiles(_dir, "m.safetensors*"));
        }
    }

    [MpiFact]
    public void CtrlCToMpirunStopsEveryProcessAfterTheSameBatchAndSavesTheCheckpoint()
    {
        string data = WriteData("big.csv", 20000, 20);
        // 30 epochs: long enough on a quiet machine that mpirun's SIGTERM lands mid-training (measured: in epoch 13).
        string[] run = ["train", "--data", data, "--epochs", "30", "--no-early-stopping", "--hidden", "64", "--seed", "7", "--batch-size", "128",
            "--learning-rate", "0.002", "--checkpoint-dir", "ckpt", "--checkpoint-every", "100", "--out", "m.safetensors"];
        // On SIGINT mpirun sends its processes SIGCONT, SIGTERM a timeout later and SIGKILL another timeout later; the
        // processes stop and save in between. The default timeout: a longer one (5 s) let this run finish before SIGTERM came.
        using (XentProcess.Running job = Mpi.Start(_dir, 2, "", true, null, run))
        {
            job.WaitForOutput("epoch     1/30");
            Assert.True(job.Signal("INT"));
            XentProcess.Result stopped = job.Finish();
            Assert.NotEqual(0, stopped.ExitCode);
            AssertInterruptedWithACheckpoint(stopped, epochs: 30);
        }
        XentProcess.Result resumed = Mpi.Run(_dir, 3, "train", "--resume", "ckpt", "--json");
        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        Assert.True(File.Exists(PathOf("m.safetensors")));
    }

    [MpiFact]
    public void ASignalThatReachesOneProcessAfterTheOthersStoppedTrainingIsPartOfTheSameStop()
    {
        // mpirun signals its processes one after the other: the first one's stop is agreed in the next all-reduce, so
        // the last one can get its own signal after training has already ended for it, while it saves. That signal must
        // not end it at once (CI once lost the checkpoint and the report that way).
        string data = WriteData("big.csv", 20000, 20);
        string marker = Guid.NewGuid().ToString("N");
        string[] run = ["train", "--data", data, "--epochs", "200", "--no-early-stopping", "--hidden", "64", "--seed", "7", "--batch-size", "128",
            "--checkpoint-dir", "ckpt", "--checkpoint-every", "100", "--out", "m.safetensors"];
        using (XentProcess.Running job = Mpi.Start(_dir, 2, marker, true, null, run))
        {
            job.WaitForOutput("epoch     1/200");
            int first = Mpi.RankProcess(marker, 1), last = Mpi.RankProcess(marker, 0);
            Assert.Equal(0, Kill(first, 15));
            Thread.Sleep(300);
            Assert.Equal(0, Kill(last, 15));
            XentProcess.Result stopped = job.Finish();
            Assert.Equal(143, stopped.ExitCode);
            AssertInterruptedWithACheckpoint(stopped, epochs: 200);
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int process, int signal);

    private static void CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (string file in Directory.GetFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
    }

    private static void AssertCurvesClose(JsonElement expected, JsonElement actual, string what)
    {
        double[] e = expected.EnumerateArray().Select(v => v.GetDouble()).ToArray(), a = actual.EnumerateArray().Select(v => v.GetDouble()).ToArray();
        Assert.Equal(e.Length, a.Length);
        for (int i = 0; i < e.Length; i++)
        {
            double relative = Math.Abs(e[i] - a[i]) / Math.Max(Math.Abs(e[i]), 1e-12);
            Assert.True(relative <= Tolerance, $"{what}: epoch {i + 1}: {a[i]:R} against {e[i]:R} in one process, relative difference {relative:E2} > {Tolerance:E0}");
        }
    }

    // A data-parallel run stopped by a signal: one line saying where its checkpoint is, and no model written.
    private void AssertInterruptedWithACheckpoint(XentProcess.Result stopped, int epochs)
    {
        Assert.True(System.Text.RegularExpressions.Regex.IsMatch(stopped.Error.Trim(), $@"^xent train: interrupted in epoch \d+ of {epochs}; saved the run's state in .*ckpt; continue it with: xent train --resume .*ckpt$"),
            stopped.ToString());
        Assert.False(File.Exists(PathOf("m.safetensors")));
    }
}

/// <summary>Open MPI's <c>mpirun</c> starting the built xent, as root, with more processes than cores allowed.</summary>
public static class Mpi
{
    public static readonly string? Mpirun = new[] { "/usr/bin/mpirun", "/usr/local/bin/mpirun" }.FirstOrDefault(File.Exists);

    public const string Missing = "Open MPI's mpirun is needed for the data-parallel tests and was not found " +
        "(apt-get update && apt-get install -y openmpi-bin libopenmpi-dev; .ci/run does this)";

    private static string Dotnet => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";

    // -q: mpirun's own notices stay out of the output, which is then exactly what the processes printed.
    public static XentProcess.Running Start(string workingDirectory, int ranks, string marker, params string[] args) => Start(workingDirectory, ranks, marker, true, null, args);

    /// <summary>Starts the job with or without <c>-q</c>, and with Open MPI settings (<c>OMPI_MCA_name</c> variables) if given.</summary>
    public static XentProcess.Running Start(string workingDirectory, int ranks, string marker, bool quiet, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var start = new ProcessStartInfo(Mpirun ?? throw new Xunit.Sdk.XunitException(Missing))
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        if (quiet) start.ArgumentList.Add("-q");
        foreach (string a in new[] { "--allow-run-as-root", "--oversubscribe", "-np", ranks.ToString(CultureInfo.InvariantCulture), Dotnet, XentProcess.Dll })
            start.ArgumentList.Add(a);
        foreach (string a in args) start.ArgumentList.Add(a);
        start.Environment.Remove("COLUMNS");
        start.Environment["XENT_TEST_MARKER"] = marker;   // finds this job's processes in /proc
        foreach ((string name, string value) in environment ?? new Dictionary<string, string>()) start.Environment[name] = value;
        return new XentProcess.Running(start);
    }

    public static XentProcess.Result Run(string workingDirectory, int ranks, params string[] args)
    {
        using XentProcess.Running running = Start(workingDirectory, ranks, "", args);
        running.Process.StandardInput.Close();
        return running.Finish();
    }

    /// <summary>The process id of rank <paramref name="rank"/> of the job started with <paramref name="marker"/>.</summary>
    public static int RankProcess(string marker, int rank)
    {
        foreach (string folder in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(folder), out int pid)) continue;
            string[] environment;
            try { environment = File.ReadAllText(Path.Combine(folder, "environ")).Split('\0'); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { continue; }
            if (environment.Contains($"XENT_TEST_MARKER={marker}") && environment.Contains($"OMPI_COMM_WORLD_RANK={rank}")) return pid;
        }
        throw new Xunit.Sdk.XunitException($"no process of rank {rank} found");
    }
}

/// <summary>A test that needs mpirun: skipped when it is missing on a developer's machine, failed when CI=true.</summary>
public sealed class MpiFactAttribute : FactAttribute
{
    public MpiFactAttribute()
    {
        if (Mpi.Mpirun is null && !Chromium.IsCi) Skip = Mpi.Missing + "; set CI=true to make this a failure";
    }
}
