using Parquet;
using Parquet.Schema;

namespace Xent.Cli.Tests.Corpus;

/// <summary>Writes small Parquet files for tests: one row group, the columns given as (field, values) pairs.</summary>
public static class ParquetFixtures
{
    public static void Write(string path, params (DataField Field, Array Values)[] columns) => WriteGroups(path, [columns]);

    /// <summary>One row group per element of <paramref name="groups"/>, each with the same fields.</summary>
    public static void WriteGroups(string path, IReadOnlyList<(DataField Field, Array Values)[]> groups) => WriteAsync(path, groups).GetAwaiter().GetResult();

    private static async Task WriteAsync(string path, IReadOnlyList<(DataField Field, Array Values)[]> groups)
    {
        var schema = new ParquetSchema(groups[0].Select(c => (Field)c.Field).ToArray());
        await using var stream = File.Create(path);
        await using ParquetWriter writer = await ParquetWriter.CreateAsync(schema, stream);
        foreach ((DataField Field, Array Values)[] columns in groups)
        {
            using ParquetRowGroupWriter group = writer.CreateRowGroup();
            foreach ((DataField field, Array values) in columns)
            {
                switch (values)
                {
                    case double?[] v: await group.WriteAsync(field, (ReadOnlyMemory<double?>)v); break;
                    case double[] v: await group.WriteAsync(field, (ReadOnlyMemory<double>)v); break;
                    case float[] v: await group.WriteAsync(field, (ReadOnlyMemory<float>)v); break;
                    case int?[] v: await group.WriteAsync(field, (ReadOnlyMemory<int?>)v); break;
                    case int[] v: await group.WriteAsync(field, (ReadOnlyMemory<int>)v); break;
                    case long[] v: await group.WriteAsync(field, (ReadOnlyMemory<long>)v); break;
                    case float?[] v: await group.WriteAsync(field, (ReadOnlyMemory<float?>)v); break;
                    case string?[] v: await group.WriteAsync(field, v); break;
                    default: throw new ArgumentException($"no writer for {values.GetType().Name}", nameof(groups));
                }
            }
        }
    }
}
