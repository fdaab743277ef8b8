using Xent.Data;

namespace Xent.Tests.Data;

public class IrisTests
{
    [Fact]
    public void EmbeddedIrisHas150RowsFiftyPerSpecies()
    {
        Dataset iris = Iris.Load();
        Assert.Equal(150, iris.RowCount);
        Assert.Equal(4, iris.FeatureCount);
        Assert.Equal([50, 50, 50], iris.ClassCounts());
        Assert.Equal(["setosa", "versicolor", "virginica"], iris.ClassNames);
        // First row of Fisher's table: 5.1, 3.5, 1.4, 0.2, setosa.
        Assert.Equal([5.1f, 3.5f, 1.4f, 0.2f], iris.Row(0).ToArray());
        // Known column means: 5.843, 3.057, 3.758, 1.199.
        double[] means = Enumerable.Range(0, 4).Select(c => Enumerable.Range(0, 150).Average(r => (double)iris.Features[r * 4 + c])).ToArray();
        Numerical.AssertClose([5.8433, 3.0573, 3.7580, 1.1993], means, 0, 1e-4, "column means");
    }

    [Fact]
    public void StratifiedSplitKeepsClassProportionsAndIsSeeded()
    {
        Dataset iris = Iris.Load();
        (Dataset train, Dataset validation) = Split.Stratified(iris, 0.2, seed: 7);
        Assert.Equal([40, 40, 40], train.ClassCounts());
        Assert.Equal([10, 10, 10], validation.ClassCounts());
        (Dataset _, Dataset again) = Split.Stratified(iris, 0.2, seed: 7);
        Assert.Equal(validation.Features, again.Features);
        (Dataset _, Dataset other) = Split.Stratified(iris, 0.2, seed: 8);
        Assert.NotEqual(validation.Features, other.Features);
    }

    [Fact]
    public void StandardizerUsesTheTrainingRowsMeanAndPopulationDeviation()
    {
        float[] x = [1, 10, 3, 10, 5, 10]; // column 0: 1,3,5 (mean 3, sd √(8/3)); column 1 constant
        var s = Standardizer.Fit(x, 3, 2);
        Assert.Equal([3f, 10f], s.Mean);
        Assert.Equal((float)Math.Sqrt(8.0 / 3), s.Deviation[0], 6);
        Assert.Equal(1f, s.Deviation[1]);
        var y = new float[6];
        s.Transform(x, y);
        Assert.Equal(0f, y[2]);
        Assert.Equal(0f, y[1]);
        Assert.Equal(-2 / Math.Sqrt(8.0 / 3), y[0], 5);
    }
}
