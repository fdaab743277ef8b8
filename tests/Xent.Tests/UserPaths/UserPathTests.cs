using Xent.Data;
using Xent.Layers;
using Xent.Tests.Training;
using Xent.Training;

namespace Xent.Tests.UserPaths;

/// <summary>
/// The library as users call it: from many threads, with data whose columns and classes come in another order, with
/// numbers written in other conventions, and cancelled in the middle of training.
/// </summary>
public class UserPathTests
{
    private static readonly Lazy<Classifier> IrisModel = new(() =>
        Classifier.Train(Iris.Load(), new ClassifierOptions { Trainer = new TrainerOptions { Seed = 3, Epochs = 40 } }));

    [Fact]
    public void ConcurrentPredictionEqualsSerialPrediction()
    {
        Classifier model = IrisModel.Value;
        Dataset iris = Iris.Load();
        int classes = model.ClassNames.Count;
        var serial = new float[iris.RowCount * classes];
        for (int r = 0; r < iris.RowCount; r++) model.PredictProbabilities(iris.Row(r)).CopyTo(serial, r * classes);
        var batched = new float[iris.RowCount * classes];
        model.PredictProbabilities(iris.Features, iris.RowCount, batched);
        Assert.Equal(serial, batched);

        int wrong = 0;
        Parallel.For(0, 40_000, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            int r = i % iris.RowCount;
            float[] p = (i & 1) == 0 ? model.PredictProbabilities(iris.Row(r)) : PredictBatchRow(model, iris, r);
            if (!p.AsSpan().SequenceEqual(serial.AsSpan(r * classes, classes))) Interlocked.Increment(ref wrong);
            if (model.Predict(iris.Row(r)) != model.ClassNames[System.Numerics.Tensors.TensorPrimitives.IndexOfMax<float>(serial.AsSpan(r * classes, classes))])
                Interlocked.Increment(ref wrong);
        });
        Assert.Equal(0, wrong);
    }

    // A few rows around r as one batch, returning r's probabilities: batched calls share the pool of scratch buffers too.
    private static float[] PredictBatchRow(Classifier model, Dataset data, int r)
    {
        int first = Math.Max(0, r - 2), rows = Math.Min(5, data.RowCount - first);
        var p = new float[rows * model.ClassNames.Count];
        model.PredictProbabilities(data.Features.AsSpan(first * data.FeatureCount, rows * data.FeatureCount), rows, p);
        return p.AsSpan((r - first) * model.ClassNames.Count, model.ClassNames.Count).ToArray();
    }

    [Theory]
    [InlineData(64, 300)]    // more rows than units: the products split their rows over the threads
    [InlineData(784, 128)]   // mnist-shaped: the first layer's forward product splits its units over the threads
    public void ConcurrentNetworkInferenceEqualsSerialOnALargeNetwork(int inputs, int rows)
    {
        // Large enough that the products take the packed, multi-threaded kernels.
        Network network = Network.CreateClassifier(inputs, [256, 128], 10, Activation.Relu, seed: 5);
        var random = new Xent.Numerics.RandomSource(9);
        float[] input = Numerical.RandomArray(random, rows * inputs);
        var expected = new float[rows * 10];
        network.PredictProbabilities(input, rows, expected);
        int wrong = 0;
        Parallel.For(0, 64, new ParallelOptions { MaxDegreeOfParallelism = 6 }, _ =>
        {
            var p = new float[rows * 10];
            network.PredictProbabilities(input, rows, p);
            if (!p.AsSpan().SequenceEqual(expected)) Interlocked.Increment(ref wrong);
        });
        Assert.Equal(0, wrong);
    }

    private static Dataset Reorder(Dataset data, int[] columnOrder, string[] classNames)
    {
        var features = new float[data.Features.Length];
        for (int r = 0; r < data.RowCount; r++)
            for (int i = 0; i < columnOrder.Length; i++) features[r * columnOrder.Length + i] = data.Features[r * data.FeatureCount + columnOrder[i]];
        int[] labels = data.Labels.Select(l => Array.IndexOf(classNames, data.ClassNames[l])).ToArray();
        return new Dataset(features, labels, columnOrder.Select(c => data.FeatureNames[c]).ToArray(), classNames);
    }

    [Fact]
    public void EvaluateMatchesColumnsAndClassesByName()
    {
        Classifier model = IrisModel.Value;
        Dataset iris = Iris.Load();
        ClassificationMetrics expected = model.Evaluate(iris);
        Dataset shuffled = Reorder(iris, [3, 1, 0, 2], ["virginica", "setosa", "versicolor"]);
        ClassificationMetrics actual = model.Evaluate(shuffled);
        Assert.Equal(expected.Accuracy, actual.Accuracy);
        Assert.Equal(expected.LogLoss, actual.LogLoss, 12);

        // A test set that lacks a class, read on its own (so its class list is shorter): still matched by name.
        int[] rows = Enumerable.Range(0, iris.RowCount).Where(r => iris.Labels[r] != 0).ToArray();
        Dataset noSetosa = iris.Subset(rows);
        var twoClasses = new Dataset(noSetosa.Features, noSetosa.Labels.Select(l => l - 1).ToArray(), iris.FeatureNames, ["versicolor", "virginica"]);
        Assert.Equal(model.Evaluate(noSetosa).Accuracy, model.Evaluate(twoClasses).Accuracy);
        Assert.True(model.Evaluate(twoClasses).Accuracy > 0.8);

        // Extra columns are ignored.
        var wide = new float[iris.RowCount * 5];
        for (int r = 0; r < iris.RowCount; r++) { iris.Row(r).CopyTo(wide.AsSpan(r * 5, 4)); wide[r * 5 + 4] = 1e6f; }
        var withExtra = new Dataset(wide, iris.Labels, [.. iris.FeatureNames, "id"], iris.ClassNames);
        Assert.Equal(expected.Accuracy, model.Evaluate(withExtra).Accuracy);
    }

    [Fact]
    public void MissingFeaturesAndUnknownClassesAreNamedErrors()
    {
        Classifier model = IrisModel.Value;
        Dataset iris = Iris.Load();
        var renamed = new Dataset(iris.Features, iris.Labels, ["sepal_length", "sepal_width", "petal_length", "petal_w"], iris.ClassNames);
        var e = Assert.Throws<ArgumentException>(() => model.Evaluate(renamed));
        Assert.Contains("'petal_width'", e.Message);
        var unknown = new Dataset(iris.Features, iris.Labels, iris.FeatureNames, ["setosa", "versicolor", "zebra"]);
        e = Assert.Throws<ArgumentException>(() => model.Evaluate(unknown));
        Assert.Contains("'zebra'", e.Message);

        var v = Assert.Throws<ArgumentException>(() => Classifier.Train(iris, new ClassifierOptions { Trainer = new TrainerOptions { Epochs = 1 } }, validation: renamed));
        Assert.Contains("validation data", v.Message);
        Assert.Contains("'petal_width'", v.Message);
    }

    [Fact]
    public void TrainingWithAReorderedValidationSetEqualsTheAlignedOne()
    {
        Dataset iris = Iris.Load();
        (Dataset train, Dataset validation) = Split.Stratified(iris, 0.2, 11);
        var options = new ClassifierOptions { Trainer = new TrainerOptions { Seed = 2, Epochs = 30 } };
        Classifier aligned = Classifier.Train(train, options, validation);
        Classifier reordered = Classifier.Train(train, options, Reorder(validation, [2, 0, 3, 1], ["versicolor", "virginica", "setosa"]));
        Assert.Equal(aligned.TrainingResult!.ValidationLossHistory, reordered.TrainingResult!.ValidationLossHistory);
        Assert.Equal(aligned.TrainingResult.BestEpoch, reordered.TrainingResult.BestEpoch);
    }

    [Fact]
    public void PredictionByFeatureNameNeedsExactlyTheModelsFeatures()
    {
        Classifier model = IrisModel.Value;
        Dataset iris = Iris.Load();
        var byName = iris.FeatureNames.Select((n, i) => (n, i)).Reverse().ToDictionary(t => t.n, t => iris.Row(60)[t.i]);
        Assert.Equal(model.PredictProbabilities(iris.Row(60)), model.PredictProbabilities(byName));
        byName.Remove("sepal_width");
        Assert.Contains("'sepal_width' is missing", Assert.Throws<ArgumentException>(() => model.PredictProbabilities(byName)).Message);
        byName["sepal_width"] = 3; byName["colour"] = 1;
        Assert.Contains("no feature 'colour'", Assert.Throws<ArgumentException>(() => model.PredictProbabilities(byName)).Message);
    }

    [Theory]
    [InlineData("a,b,label\n\"1,000\",2,x\n3,4,y\n", ",", "'1,000' has a comma")]
    [InlineData("a;b;label\n1,5;2;x\n3;4;y\n", ";", "'1,5' has a comma")]
    [InlineData("a,b,label\n1 000,2,x\n3,4,y\n", ",", "'1 000' is not a number")]
    [InlineData("a,b,label\n0x10,2,x\n3,4,y\n", ",", "'0x10' is not a number")]
    [InlineData("a,b,label\n1,Infinity,x\n3,4,y\n", ",", "not a finite number")]
    [InlineData("a,b,label\n1,-inf,x\n3,4,y\n", ",", "not a finite number")]
    [InlineData("a,b,label\n1,2,NaN\n3,4,y\n", ",", "not a valid label")]
    public void NumbersAreReadStrictlyAndNeverReinterpreted(string csv, string delimiter, string message)
    {
        var e = Assert.Throws<DataFormatException>(() => CsvData.Read(new StringReader(csv), "t.csv", new CsvOptions { Delimiter = delimiter[0] }));
        Assert.Contains(message, e.Message);
        Assert.StartsWith("t.csv, line 2", e.Message);
    }

    [Fact]
    public void PlainNumbersInEveryNotationParse()
    {
        CsvTable t = CsvData.Read(new StringReader("a;b;label\n1.5;-2e3;x\n +7 ;.25;y\n"), "t.csv", new CsvOptions { Delimiter = ';' });
        Assert.Equal([1.5f, -2000f, 7f, 0.25f], t.Features);
    }

    [Fact]
    public void NumericallyEqualLabelsAreOneClassNamedByTheNumber()
    {
        CsvTable t = CsvData.Read(new StringReader("a,label\n1,1\n2,1.0\n3,01\n4,2\n5,2.00\n6,-0\n7,0\n"), "t.csv", new CsvOptions());
        Assert.Equal(["0", "1", "2"], t.ClassNames);
        Assert.Equal([1, 1, 1, 2, 2, 0, 0], t.Labels!);
        // A model's classes are found under any spelling of the same number.
        CsvTable test = CsvData.Read(new StringReader("a,label\n1,1.000\n2,2e0\n"), "t.csv", new CsvOptions { FeatureNames = ["a"], ClassNames = ["0", "1", "2"], Label = "label" });
        Assert.Equal([1, 2], test.Labels!);
    }

    [Theory]
    [InlineData(4 * 8 + 3)]   // in the middle of epoch 5 (after 3 of its 8 batches)
    [InlineData(4 * 8)]       // exactly at an epoch boundary
    public void CancelledTrainingThrowsAndContinuesBitForBitInTheSameTrainerOrFromACheckpoint(int cancelAfterSteps)
    {
        (Dataset train, Dataset validation) = Split.Stratified(Iris.Load(), 0.2, 4);
        Standardizer s = Standardizer.Fit(train);
        train = s.Transform(train);
        validation = s.Transform(validation);
        var options = new TrainerOptions { Seed = 8, Epochs = 12, BatchSize = 15, EarlyStopping = false };

        Network reference = Network.CreateClassifier(4, [16], 3, Activation.Relu, 1);
        TrainingResult expected = new Trainer(reference, options).Fit(train, validation);

        Network network = Network.CreateClassifier(4, [16], 3, Activation.Relu, 1);
        using var cancel = new CancellationTokenSource();
        var optimizer = new CancellingOptimizer(Trainer.CreateOptimizer(network, options), cancel, cancelAfterSteps);
        var trainer = new Trainer(network, Trainer.CreateLoss(options), optimizer, options);
        Assert.Throws<OperationCanceledException>(() => trainer.Fit(train, validation, null, cancel.Token));
        Assert.Equal(cancelAfterSteps, optimizer.StepCount);
        Assert.Equal(cancelAfterSteps / 8, trainer.Epoch);

        // The interrupted state, captured and restored into a fresh trainer (what a checkpoint does)...
        TrainingState state = trainer.CaptureState();
        Network copy = network.Clone();
        var fresh = new Trainer(copy, options);
        fresh.RestoreState(state);
        TrainingResult fromState = fresh.Fit(train, validation);
        // ...and the same trainer continued: both end exactly where the uninterrupted run ends.
        TrainingResult continued = trainer.Fit(train, validation);
        Assert.Equal(expected.LossHistory, continued.LossHistory);
        Assert.Equal(expected.LossHistory, fromState.LossHistory);
        Assert.Equal(expected.ValidationLossHistory, fromState.ValidationLossHistory);
        for (int i = 0; i < network.Parameters.Count; i++)
        {
            Assert.Equal(reference.Parameters[i].Value, network.Parameters[i].Value);
            Assert.Equal(reference.Parameters[i].Value, copy.Parameters[i].Value);
        }
    }

    [Fact]
    public void ACancelledClassifierTrainingThrowsInsteadOfReturningAModel()
    {
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();
        Assert.Throws<OperationCanceledException>(() => Classifier.Train(Iris.Load(), cancellationToken: cancel.Token));
    }

    [Fact]
    public void AModelTheLoaderWouldRejectIsNeverWritten()
    {
        string dir = Directory.CreateTempSubdirectory("xent-save-").FullName;
        try
        {
            Network network = Network.CreateClassifier(4, [8], 3, Activation.Relu, 1);
            network.Parameters[0].Value[3] = float.NaN;
            var model = new Classifier(network, null, Iris.FeatureNames, Iris.ClassNames);
            string path = Path.Combine(dir, "m.safetensors");
            var e = Assert.Throws<ModelFileException>(() => model.Save(path));
            Assert.Contains("does not load back", e.Message);
            Assert.Empty(Directory.GetFileSystemEntries(dir));   // neither the model nor a temporary file

            File.WriteAllText(path, "old");
            Assert.Throws<IOException>(() => IrisModel.Value.Save(path, overwrite: false));
            Assert.Equal("old", File.ReadAllText(path));
            IrisModel.Value.Save(path, overwrite: true);
            Assert.Equal(IrisModel.Value.ClassNames, Classifier.Load(path).ClassNames);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
