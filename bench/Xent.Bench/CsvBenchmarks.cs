using System.Globalization;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Jobs;
using Xent.Data;

namespace Xent.Bench;

/// <summary>
/// Xent's CSV reader against CsvHelper doing the same job: a 20,000 × 30 numeric file with a string label column, read
/// into a float32 feature matrix and class indices. Run: <c>dotnet run -c Release --project bench/Xent.Bench -- --kernels --filter '*Csv*'</c>.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(RuntimeMoniker.Net10_0, warmupCount: 2, iterationCount: 8)]
public class CsvBenchmarks
{
    private string _path = "";

    [GlobalSetup]
    public void Setup()
    {
        _path = Path.Combine(Path.GetTempPath(), "xent-csv-bench.csv");
        var random = new Xent.Numerics.RandomSource(1);
        using var w = new StreamWriter(_path);
        w.WriteLine(string.Join(",", Enumerable.Range(0, 30).Select(i => $"x{i}")) + ",label");
        for (int r = 0; r < 20000; r++)
            w.WriteLine(string.Join(",", Enumerable.Range(0, 30).Select(_ => random.NextGaussian().ToString("G7", CultureInfo.InvariantCulture))) + $",class{r % 4}");
    }

    [GlobalCleanup]
    public void Cleanup() => File.Delete(_path);

    [Benchmark(Baseline = true)]
    public int Xent() => CsvData.Read(_path).RowCount;

    /// <summary>The table reader as <c>xent train</c> uses it: a first pass infers the column types, a second reads them.</summary>
    [Benchmark]
    public int XentTable() => CsvData.ReadTable(_path).RowCount;

    [Benchmark]
    public int CsvHelper()
    {
        using var csv = global::CsvHelper.CsvReader.FromFile(_path, global::CsvHelper.CsvReaderOptions.Default, FileOptions.SequentialScan);
        int columns = csv.Headers.Count;
        var features = new List<float>();
        var labels = new List<int>();
        var classes = new Dictionary<string, int>();
        while (csv.Read())
        {
            for (int c = 0; c < columns - 1; c++) features.Add(csv[c].Parse<float>());
            string label = csv[columns - 1].ToString();
            if (!classes.TryGetValue(label, out int index)) classes[label] = index = classes.Count;
            labels.Add(index);
        }
        _ = features.ToArray();
        return labels.Count;
    }
}
