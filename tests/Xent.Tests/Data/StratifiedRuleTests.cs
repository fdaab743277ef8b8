using Xent.Data;

namespace Xent.Tests.Data;

public sealed class StratifiedRuleTests
{
    [Theory]
    [InlineData(0.2, 7)]
    [InlineData(0.1, 3)]
    [InlineData(0.37, 11)]
    public void EachClassGivesTheFloorOrCeilingOfItsShareSpreadThroughIt(double fraction, long seed)
    {
        int[] counts = [1, 2, 5, 17, 100, 1001];
        // Interleave the classes: row i has class i mod 6 until a class runs out.
        var list = new List<int>();
        var left = counts.ToArray();
        while (left.Any(n => n > 0))
            for (int c = 0; c < left.Length; c++)
                if (left[c]-- > 0) list.Add(c);
        int[] labels = list.ToArray();

        (int[] train, int[] validation) = Split.StratifiedRows(labels, counts.Length, fraction, seed);
        Assert.Equal(labels.Length, train.Length + validation.Length);
        for (int c = 0; c < counts.Length; c++)
        {
            int taken = validation.Count(i => labels[i] == c);
            Assert.InRange(taken, (int)Math.Floor(counts[c] * fraction), (int)Math.Ceiling(counts[c] * fraction));
        }
        // Row by row, in one pass, the rule makes the same decisions.
        var rule = new StratifiedRule(counts.Length, fraction, seed);
        int[] streamed = Enumerable.Range(0, labels.Length).Where(i => rule.IsValidation(labels[i])).ToArray();
        Assert.Equal(validation, streamed);
    }
}
