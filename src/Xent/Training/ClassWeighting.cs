namespace Xent.Training;

/// <summary>Class weights for imbalanced data.</summary>
public static class ClassWeighting
{
    /// <summary>scikit-learn's "balanced": w[c] = rows / (classes · count[c]); a class with no rows gets 0.</summary>
    public static float[] Balanced(ReadOnlySpan<int> labels, int classCount)
    {
        var counts = new int[classCount];
        foreach (int y in labels) counts[y]++;
        var weights = new float[classCount];
        for (int c = 0; c < classCount; c++) weights[c] = counts[c] == 0 ? 0f : (float)((double)labels.Length / (classCount * counts[c]));
        return weights;
    }
}
