using System.Text.Json;
using Xent.Data;
using Xent.Distributed;
using Xent.Numerics;

namespace Xent.Tests.Distributed;

/// <summary>
/// <see cref="TableEncoder.Fit(Table, ICollectives, int, MissingValues)"/> on N threads, each holding an interleaved share
/// of a table, must give the encoder that one process fits on the whole table: kept and rare categories (ties broken by
/// text, so the order in which the processes come cannot matter), fill values and missing-value indicators.
/// </summary>
public class SharedEncoderTests
{
    // The encoders compared as their JSON (NaN as a string, should a statistic be one).
    private static readonly JsonSerializerOptions EncoderJson = new() { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    private static Table MixedTable(int rows, long seed)
    {
        var random = new RandomSource(seed);
        string[] categories = ["ä", "b", "line\nbreak", "c", "d", "e", "f", "g", "h", "i", "j", "k"];
        var number = new float[rows];
        var sparse = new float[rows];
        var category = new string?[rows];
        var onlyFirst = new string?[rows];
        var labels = new int[rows];
        for (int r = 0; r < rows; r++)
        {
            number[r] = random.NextDouble() < 0.1 ? float.NaN : (float)(random.NextGaussian() * 3.7);
            sparse[r] = r % 5 == 0 ? float.NaN : r * 0.1f;
            category[r] = random.NextDouble() < 0.05 ? null : categories[random.NextInt(categories.Length)];
            onlyFirst[r] = r % 4 == 0 ? $"v{r % 12}" : null;   // every value on process 0 of 2 or 4, missing elsewhere
            labels[r] = random.NextInt(3);
        }
        return new Table(
            [FeatureColumn.Numeric("number", number), FeatureColumn.Numeric("sparse", sparse), FeatureColumn.Categorical("category", category),
                FeatureColumn.Categorical("onlyFirst", onlyFirst)],
            labels, ["a", "b", "c"]);
    }

    [Theory]
    [InlineData(2, 5)]
    [InlineData(3, 4)]
    [InlineData(4, 32)]
    public void TheEncoderFittedOverTheGroupIsTheOneOfOneProcessOnAllRows(int ranks, int maxCategories)
    {
        Table table = MixedTable(997, 2);
        string expected = JsonSerializer.Serialize(TableEncoder.Fit(table, maxCategories).Columns, EncoderJson);
        var group = new ThreadGroup(ranks);
        var fitted = new string[ranks];
        Parallel.For(0, ranks, new ParallelOptions { MaxDegreeOfParallelism = ranks }, rank =>
        {
            var share = new RowShare(rank, ranks);
            int[] mine = Enumerable.Range(0, table.RowCount).Where(i => share.Owns(i)).ToArray();
            fitted[rank] = JsonSerializer.Serialize(TableEncoder.Fit(table.Subset(mine), group.Member(rank), maxCategories).Columns, EncoderJson);
        });
        Assert.All(fitted, f => Assert.Equal(expected, f));
    }
}
