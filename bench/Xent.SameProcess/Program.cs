using System.Globalization;
using System.Reflection;
using System.Runtime.Loader;

// A before/after comparison that process-to-process noise does not swamp: two or more builds of Xent.Bench, each loaded
// with its own Xent.Core into a load context of its own, and one workload of each run in turn in the same process
// (the order reversed every other round), so the machine's load, the CPU's clock and the JIT's state fall alike on all.
//
//   dotnet build -c Release bench/Xent.Bench                     (in each worktree to compare)
//   dotnet run -c Release --project bench/Xent.SameProcess -- Iris 8 <bench-bin-before> <bench-bin-after>
//
// where <bench-bin> is a folder such as /tmp/before/bench/Xent.Bench/bin/Release/net10.0. Prints each build's median, min
// and max of every metric the workload returns (Workloads.Iris, Digits, Mnist, Gemm, Predict).
if (args.Length < 3 || !int.TryParse(args[1], CultureInfo.InvariantCulture, out int rounds) || rounds < 1)
{
    Console.Error.WriteLine("usage: Xent.SameProcess <Iris|Digits|Mnist|Gemm|Predict> <rounds> <bench-bin-folder> <bench-bin-folder> ...");
    return 2;
}
string workload = args[0];
string[] folders = args[2..];
MethodInfo[] runs = folders.Select(folder => WorkloadIn(folder, workload)).ToArray();
var results = folders.Select(_ => new List<Dictionary<string, double>>()).ToArray();
for (int round = 0; round < rounds; round++)
    for (int i = 0; i < runs.Length; i++)
    {
        int side = round % 2 == 0 ? i : runs.Length - 1 - i;
        results[side].Add((Dictionary<string, double>)runs[side].Invoke(null, null)!);
    }
for (int side = 0; side < folders.Length; side++)
    foreach (string metric in results[side][0].Keys)
    {
        double[] values = results[side].Select(r => r[metric]).Order().ToArray();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{folders[side]}  {metric,-20} median {values[values.Length / 2],14:N1}  min {values[0],14:N1}  max {values[^1],14:N1}"));
    }
return 0;

// Workloads.<name> of the Xent.Bench build in `folder`, loaded with that folder's Xent.Core.
static MethodInfo WorkloadIn(string folder, string workload)
{
    Assembly bench = new BuildContext(folder).LoadFromAssemblyPath(Path.Combine(Path.GetFullPath(folder), "Xent.Bench.dll"));
    return bench.GetType("Xent.Bench.Workloads")?.GetMethod(workload, BindingFlags.Public | BindingFlags.Static)
        ?? throw new ArgumentException($"{folder}: Xent.Bench has no workload {workload}");
}

// Resolves a build's own assemblies from its folder; the framework's from the default context.
sealed class BuildContext(string folder) : AssemblyLoadContext(isCollectible: false)
{
    protected override Assembly? Load(AssemblyName name)
    {
        string path = Path.Combine(Path.GetFullPath(folder), name.Name + ".dll");
        return File.Exists(path) ? LoadFromAssemblyPath(path) : null;
    }
}
