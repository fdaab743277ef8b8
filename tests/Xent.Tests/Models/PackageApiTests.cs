using Microsoft.ML.OnnxRuntime;
using Xent.Data;
using Xent.Models;
using Xent.Training;

namespace Xent.Tests.Models;

/// <summary>The API a .NET user reaches for first: data from arrays, batch prediction, the history after Load, ONNX metadata.</summary>
public sealed class PackageApiTests() : TemporaryFolderTests("xent-api-")
{
    private static (float[][] Rows, string[] Labels) IrisArrays()
    {
        Dataset iris = Iris.Load();
        return (Enumerable.Range(0, iris.RowCount).Select(r => iris.Row(r).ToArray()).ToArray(), iris.Labels.Select(l => iris.ClassNames[l]).ToArray());
    }

    [Fact]
    public void FromRowsBuildsTheSameDataSetInEveryForm()
    {
        Dataset iris = Iris.Load();
        (float[][] rows, string[] labels) = IrisArrays();
        Dataset byName = Dataset.FromRows(rows, labels, [.. iris.FeatureNames]);
        Assert.Equal(iris.Features, byName.Features);
        Assert.Equal(iris.Labels, byName.Labels);
        Assert.Equal(iris.ClassNames, byName.ClassNames);

        var matrix = new float[rows.Length, 4];
        for (int r = 0; r < rows.Length; r++) for (int c = 0; c < 4; c++) matrix[r, c] = rows[r][c];
        Dataset fromMatrix = Dataset.FromRows(matrix, iris.Labels, [.. iris.ClassNames]);
        Assert.Equal(iris.Features, fromMatrix.Features);
        Assert.Equal(["x1", "x2", "x3", "x4"], fromMatrix.FeatureNames);
        Assert.Equal(iris.Features, Dataset.FromRows(matrix, labels).Features);

        // Numeric labels are classes in numeric order, "2.0" and "2" one class.
        Dataset numeric = Dataset.FromRows([[1f], [2f], [3f]], ["10", "2", "2.0"]);
        Assert.Equal(["2", "10"], numeric.ClassNames);
        Assert.Equal([1, 0, 0], numeric.Labels);
    }

    [Theory]
    [InlineData("ragged", "row 1 has 1 values, row 0 has 2")]
    [InlineData("nan", "row 1, feature 2: NaN is not a finite number")]
    [InlineData("labels", "2 labels for 3 rows")]
    [InlineData("one-class", "at least two classes")]
    public void FromRowsNamesWhatIsWrong(string kind, string message)
    {
        float[][] rows = [[1, 2], [3, 4], [5, 6]];
        string[] labels = ["a", "b", "a"];
        switch (kind)
        {
            case "ragged": rows[1] = [3]; break;
            case "nan": rows[1][1] = float.NaN; break;
            case "labels": labels = ["a", "b"]; break;
            case "one-class": labels = ["a", "a", "a"]; break;
        }
        Assert.Contains(message, Assert.Throws<ArgumentException>(() => Dataset.FromRows(rows, labels)).Message);
    }

    [Fact]
    public void BatchPredictionEqualsRowByRowAndTheHistorySurvivesSaveAndLoad()
    {
        (float[][] rows, string[] labels) = IrisArrays();
        Classifier model = Classifier.Train(Dataset.FromRows(rows, labels), new ClassifierOptions { Trainer = new TrainerOptions { Seed = 4, Epochs = 30 } });
        float[][] p = model.PredictProbabilities(rows);
        string[] predicted = model.Predict(rows);
        for (int r = 0; r < rows.Length; r++)
        {
            Assert.Equal(model.PredictProbabilities(rows[r]), p[r]);
            Assert.Equal(model.Predict(rows[r]), predicted[r]);
        }
        Assert.Contains("row 2 has 3 values; the model takes 4", Assert.Throws<ArgumentException>(() => model.PredictProbabilities([rows[0], rows[1], [1f, 2f, 3f]])).Message);

        string path = Path.Combine(Folder, "m.safetensors");
        model.Save(path);
        Classifier loaded = Classifier.Load(path);
        Assert.NotNull(loaded.TrainingResult);
        Assert.Equal(model.TrainingResult!.LossHistory, loaded.TrainingResult!.LossHistory);
        Assert.Equal(model.TrainingResult.ValidationAccuracyHistory, loaded.TrainingResult.ValidationAccuracyHistory);
        Assert.Equal(model.TrainingResult.StopReason, loaded.TrainingResult.StopReason);
        Assert.Equal(model.TrainingResult.BestEpoch, loaded.TrainingResult.BestEpoch);
    }

    [Fact]
    public void TheOnnxModelCarriesClassAndFeatureNamesStandardisationAndVersions()
    {
        Classifier model = Classifier.Train(Iris.Load(), new ClassifierOptions { Trainer = new TrainerOptions { Seed = 4, Epochs = 5 } });
        string path = Path.Combine(Folder, "m.onnx");
        OnnxExport.Save(model, path);
        using var session = new InferenceSession(path);
        ModelMetadata metadata = session.ModelMetadata;
        Assert.Equal(ModelFile.FormatVersion, metadata.Version);
        Assert.Equal("""["setosa","versicolor","virginica"]""", metadata.CustomMetadataMap["classes"]);
        Assert.Equal("""["sepal_length","sepal_width","petal_length","petal_width"]""", metadata.CustomMetadataMap["features"]);
        Assert.Equal(Classifier.Version, metadata.CustomMetadataMap["xent_version"]);
        Assert.Contains("\"mean\":[", metadata.CustomMetadataMap["standardization"]);
        Assert.Equal(model.Network.ToString(), metadata.CustomMetadataMap["network"]);
    }

    [Fact]
    public async Task TrainAsyncReportsEveryBatchAndEpochAndCancelsWithoutAModel()
    {
        var batches = new List<BatchReport>();
        var epochs = new List<EpochReport>();
        var options = new ClassifierOptions { ValidationFraction = 0.2, Trainer = new TrainerOptions { Seed = 2, Epochs = 3, BatchSize = 40, EarlyStopping = false } };
        Classifier model = await Classifier.TrainAsync(Iris.Load(), options, progress: new SynchronousProgress(epochs.Add),
            hooks: new Classifier.TrainingHooks { BatchCompleted = batches.Add });
        // 120 training rows in batches of 40: three batches an epoch, the last one of each epoch has done every row.
        Assert.Equal(9, batches.Count);
        Assert.Equal([40, 80, 120, 40, 80, 120, 40, 80, 120], batches.Select(b => b.RowsDone));
        Assert.All(batches, b => Assert.Equal(120, b.RowCount));
        Assert.Equal([1, 1, 1, 2, 2, 2, 3, 3, 3], batches.Select(b => b.Epoch));
        Assert.Equal(3, epochs.Count);
        for (int e = 0; e < 3; e++)
        {
            Assert.Equal(batches[3 * e + 2].TrainAccuracy, epochs[e].TrainAccuracy, 12);
            Assert.Equal(model.TrainingResult!.TrainAccuracyHistory[e], epochs[e].TrainAccuracy);
            Assert.True(epochs[e].Elapsed > TimeSpan.Zero);
        }

        using var cancel = new CancellationTokenSource();
        var stopping = new Classifier.TrainingHooks { BatchCompleted = b => { if (b.Epoch == 2) cancel.Cancel(); } };
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            Classifier.TrainAsync(Iris.Load(), options with { Trainer = options.Trainer with { Epochs = 100 } }, hooks: stopping, cancellationToken: cancel.Token));
    }

    private sealed class SynchronousProgress(Action<EpochReport> report) : IProgress<EpochReport>
    {
        public void Report(EpochReport value) => report(value);
    }
}
