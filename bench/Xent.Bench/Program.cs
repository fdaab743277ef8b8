using System.Text.Json;
using BenchmarkDotNet.Running;
using Xent.Bench;

// dotnet run -c Release --project bench/Xent.Bench -- [--json] [--only iris,digits,mnist,gemm,predict]
// dotnet run -c Release --project bench/Xent.Bench -- --kernels [BenchmarkDotNet arguments]
// dotnet bench/Xent.Bench/bin/Release/net10.0/Xent.Bench.dll --products | --phases   (an mnist-shaped step: each product timed alone | each phase timed in training)
// mpirun -np N dotnet bench/Xent.Bench/bin/Release/net10.0/Xent.Bench.dll --allreduce [floats] [calls]
if (Array.IndexOf(args, "--allreduce") is int allReduce and >= 0)
{
    int floats = args.Length > allReduce + 1 ? int.Parse(args[allReduce + 1], System.Globalization.CultureInfo.InvariantCulture) : 235_150;
    int calls = args.Length > allReduce + 2 ? int.Parse(args[allReduce + 2], System.Globalization.CultureInfo.InvariantCulture) : 200;
    return AllReduceBenchmark.Run(floats, calls);
}
// dotnet bench/Xent.Bench/bin/Release/net10.0/Xent.Bench.dll --csv-to-parquet big.csv big.parquet   (for bench/streaming_read.py)
if (Array.IndexOf(args, "--csv-to-parquet") is int convert and >= 0) return CsvToParquet.Run(args[convert + 1], args[convert + 2]);
if (args.Contains("--products")) return StepProducts.Run();
if (args.Contains("--phases")) return PhaseTimer.Run();
if (args.Contains("--kernels"))
{
    BenchmarkSwitcher.FromAssembly(typeof(KernelBenchmarks).Assembly).Run(args.Where(a => a != "--kernels").ToArray());
    return 0;
}
bool json = args.Contains("--json");
int onlyIndex = Array.IndexOf(args, "--only");
string[] known = ["mnist", "iris", "digits", "gemm", "predict"];
string[] only = onlyIndex >= 0 && onlyIndex + 1 < args.Length ? args[onlyIndex + 1].Split(',') : known;
if (only.FirstOrDefault(w => !known.Contains(w)) is { } unknown)
{
    Console.Error.WriteLine($"Xent.Bench: --only: unknown workload '{unknown}'; choose from {string.Join(", ", known)}");
    return 2;
}
var results = new Dictionary<string, Dictionary<string, double>>();
// mnist runs first so that the process's peak working set is that workload's.
foreach (string workload in only)
{
    if (!json) Console.Error.WriteLine($"running {workload} ...");
    results[workload] = workload switch
    {
        "iris" => Workloads.Iris(),
        "digits" => Workloads.Digits(),
        "mnist" => Workloads.Mnist(),
        "gemm" => Workloads.Gemm(),
        "predict" => Workloads.Predict(),
        _ => throw new ArgumentException($"unknown workload {workload}"),
    };
}
string cpu = CpuModel();
if (json)
{
    var machine = new Dictionary<string, string> { ["cpu"] = cpu, ["paths"] = Xent.Numerics.KernelPaths.Describe(), ["dotnet"] = Environment.Version.ToString() };
    Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object> { ["machine"] = machine }.Concat(results.Select(r => KeyValuePair.Create(r.Key, (object)r.Value))).ToDictionary()));
    return 0;
}
Console.WriteLine($"Xent on {cpu}, {Environment.ProcessorCount} logical cores, .NET {Environment.Version}, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}");
Console.WriteLine($"kernel paths: {Xent.Numerics.KernelPaths.Describe()}");
Console.WriteLine($"{"workload",-10} {"metric",-22} {"value",16}");
foreach ((string workload, Dictionary<string, double> metrics) in results)
    foreach ((string metric, double value) in metrics)
        Console.WriteLine($"{workload,-10} {metric,-22} {value,16:N1}");
return 0;

// The first "model name" line of /proc/cpuinfo (Linux), else the processor architecture.
static string CpuModel()
{
    try
    {
        foreach (string line in File.ReadLines("/proc/cpuinfo"))
            if (line.StartsWith("model name", StringComparison.Ordinal)) return line[(line.IndexOf(':') + 1)..].Trim();
    }
    catch (IOException) { }
    catch (UnauthorizedAccessException) { }
    return System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture.ToString();
}
