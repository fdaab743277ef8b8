using System.Diagnostics;
using System.Text.Json;
using BenchmarkDotNet.Running;
using Xent.Bench;

// dotnet run -c Release --project bench/Xent.Bench -- [--json] [--only iris,digits,mnist,gemm,predict]
// dotnet run -c Release --project bench/Xent.Bench -- --kernels [BenchmarkDotNet arguments]
if (args.Contains("--kernels"))
{
    BenchmarkSwitcher.FromAssembly(typeof(KernelBenchmarks).Assembly).Run(args.Where(a => a != "--kernels").ToArray());
    return 0;
}
bool json = args.Contains("--json");
int onlyIndex = Array.IndexOf(args, "--only");
string[] only = onlyIndex >= 0 && onlyIndex + 1 < args.Length ? args[onlyIndex + 1].Split(',') : ["mnist", "iris", "digits", "gemm", "predict"];
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
if (json)
{
    Console.WriteLine(JsonSerializer.Serialize(results));
    return 0;
}
Console.WriteLine($"Xent on {Environment.ProcessorCount} cores, .NET {Environment.Version}, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}");
Console.WriteLine($"{"workload",-10} {"metric",-22} {"value",16}");
foreach ((string workload, Dictionary<string, double> metrics) in results)
    foreach ((string metric, double value) in metrics)
        Console.WriteLine($"{workload,-10} {metric,-22} {value,16:N1}");
return 0;
