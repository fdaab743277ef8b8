using System.Globalization;

namespace Xent.Data;

/// <summary>
/// Fisher's Iris data (R. A. Fisher, "The use of multiple measurements in taxonomic problems", Annals of
/// Eugenics 7, 1936; the UCI Machine Learning Repository copy as scikit-learn ships it): 150 rows of sepal length,
/// sepal width, petal length and petal width in centimetres, and the species (setosa, versicolor, virginica), 50 each.
/// Embedded in the library as <c>Data/iris.csv</c>.
/// </summary>
public static class Iris
{
    public static readonly IReadOnlyList<string> FeatureNames = ["sepal_length", "sepal_width", "petal_length", "petal_width"];
    public static readonly IReadOnlyList<string> ClassNames = ["setosa", "versicolor", "virginica"];

    /// <summary>The CSV text of the embedded copy (a header row, then 150 rows).</summary>
    public static string CsvText()
    {
        using Stream stream = typeof(Iris).Assembly.GetManifestResourceStream("Xent.Data.iris.csv")
            ?? throw new InvalidOperationException("the embedded Iris data is missing from the Xent assembly");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    public static Dataset Load()
    {
        string[] lines = CsvText().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var features = new float[(lines.Length - 1) * 4];
        var labels = new int[lines.Length - 1];
        for (int i = 1; i < lines.Length; i++)
        {
            string[] cells = lines[i].Split(',');
            for (int c = 0; c < 4; c++) features[(i - 1) * 4 + c] = float.Parse(cells[c], CultureInfo.InvariantCulture);
            int label = ((IList<string>)ClassNames).IndexOf(cells[4]);
            if (label < 0) throw new InvalidOperationException($"embedded Iris data, line {i + 1}: unknown species '{cells[4]}'");
            labels[i - 1] = label;
        }
        return new Dataset(features, labels, FeatureNames, ClassNames);
    }
}
