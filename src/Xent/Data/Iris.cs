namespace Xent.Data;

/// <summary>
/// Fisher's Iris data (R. A. Fisher, "The use of multiple measurements in taxonomic problems", Annals of
/// Eugenics 7, 1936; the UCI Machine Learning Repository copy as scikit-learn ships it): 150 rows of sepal length,
/// sepal width, petal length and petal width in centimetres, and the species (setosa, versicolor, virginica), 50 each.
/// Embedded in the library as <c>Data/iris.csv</c>.
/// </summary>
public static class Iris
{
    /// <summary>The four feature columns' names, in file order (lengths and widths in centimetres).</summary>
    public static readonly IReadOnlyList<string> FeatureNames = ["sepal_length", "sepal_width", "petal_length", "petal_width"];
    /// <summary>The three species, in class order.</summary>
    public static readonly IReadOnlyList<string> ClassNames = ["setosa", "versicolor", "virginica"];

    /// <summary>The CSV text of the embedded copy (a header row, then 150 rows).</summary>
    /// <returns>The file's text, with the header <c>sepal_length,sepal_width,petal_length,petal_width,species</c>.</returns>
    public static string CsvText()
    {
        using Stream stream = typeof(Iris).Assembly.GetManifestResourceStream("Xent.Data.iris.csv")
            ?? throw new InvalidOperationException("the embedded Iris data is missing from the Xent assembly");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>The embedded rows, read by the same CSV reader as every other file.</summary>
    /// <returns>The 150 rows with their species as labels.</returns>
    public static Dataset Load()
    {
        Dataset data = CsvData.Read(new StringReader(CsvText()), "iris.csv", new CsvOptions { Label = "species" }).ToDataset();
        if (!data.FeatureNames.SequenceEqual(FeatureNames) || !data.ClassNames.SequenceEqual(ClassNames) || data.RowCount != 150)
            throw new InvalidOperationException("the embedded Iris data does not have the expected columns, classes and rows");
        return data;
    }
}
