namespace Xent.Training;

/// <summary>Class weights for imbalanced data.</summary>
public static class ClassWeighting
{
    /// <summary>scikit-learn's "balanced": w[c] = rows / (classes · count[c]); a class with no rows gets 0.</summary>
    /// <param name="labels">[rows] class indices.</param>
    /// <param name="classCount">The number of classes.</param>
    /// <returns>[classCount] weights, for <see cref="TrainerOptions.ClassWeights"/>.</returns>
    public static float[] Balanced(ReadOnlySpan<int> labels, int classCount)
    {
        var counts = new int[classCount];
        foreach (int y in labels) counts[y]++;
        return BalancedFromCounts(counts);
    }

    /// <summary>The same weights from the rows per class (e.g. counted across processes).</summary>
    /// <param name="counts">[classes] rows per class.</param>
    /// <returns>[classes] weights.</returns>
    public static float[] BalancedFromCounts(ReadOnlySpan<int> counts)
    {
        long rows = 0;
        foreach (int n in counts) rows += n;
        int classCount = counts.Length;
        var weights = new float[classCount];
        for (int c = 0; c < classCount; c++) weights[c] = counts[c] == 0 ? 0f : (float)((double)rows / (classCount * counts[c]));
        return weights;
    }
}
