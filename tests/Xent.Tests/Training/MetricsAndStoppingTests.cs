using Xent.Data;
using Xent.Layers;
using Xent.Training;

namespace Xent.Tests.Training;

public class MetricsAndStoppingTests
{
    [Fact]
    public void MetricsOfAHandComputedConfusionMatrix()
    {
        // true:      0 0 0 1 1 2
        // predicted: 0 0 1 1 2 2
        int[] labels = [0, 0, 0, 1, 1, 2];
        int[] predicted = [0, 0, 1, 1, 2, 2];
        var p = new float[18];
        for (int r = 0; r < 6; r++)
            for (int c = 0; c < 3; c++) p[r * 3 + c] = c == predicted[r] ? 0.8f : 0.1f;
        var m = ClassificationMetrics.Compute(labels, p, ["a", "b", "c"]);
        Assert.Equal([[2, 1, 0], [0, 1, 1], [0, 0, 1]], m.ConfusionMatrix);
        Assert.Equal(4 / 6.0, m.Accuracy, 12);
        // Log loss: 4 rows at −ln 0.8, 2 rows at −ln 0.1.
        Assert.Equal((4 * -Math.Log(0.8) + 2 * -Math.Log(0.1)) / 6, m.LogLoss, 6);
        // class a: P = 2/2, R = 2/3; class b: P = 1/2, R = 1/2; class c: P = 1/2, R = 1/1.
        Assert.Equal(1.0, m.PerClass[0].Precision); Assert.Equal(2 / 3.0, m.PerClass[0].Recall, 12); Assert.Equal(0.8, m.PerClass[0].F1, 12);
        Assert.Equal(0.5, m.PerClass[1].Precision); Assert.Equal(0.5, m.PerClass[1].Recall); Assert.Equal(0.5, m.PerClass[1].F1);
        Assert.Equal(0.5, m.PerClass[2].Precision); Assert.Equal(1.0, m.PerClass[2].Recall); Assert.Equal(2 / 3.0, m.PerClass[2].F1, 12);
        Assert.Equal([3, 2, 1], m.PerClass.Select(c => c.Support));
        Assert.Equal((0.8 + 0.5 + 2 / 3.0) / 3, m.MacroF1, 12);
    }

    [Fact]
    public void BalancedClassWeightsAreRowsOverClassesTimesCount()
    {
        // 10 rows, 3 classes: 10/(3·6) and 10/(3·2).
        Assert.Equal([0.55556f, 1.66667f, 1.66667f], ClassWeighting.Balanced([0, 0, 0, 0, 0, 0, 1, 1, 2, 2], 3).Select(w => MathF.Round(w, 5)));
    }

    private static (Dataset, Dataset) Iris(long seed)
    {
        (Dataset train, Dataset validation) = Split.Stratified(Xent.Data.Iris.Load(), 0.2, seed);
        Standardizer s = Standardizer.Fit(train);
        return (s.Transform(train), s.Transform(validation));
    }

    [Fact]
    public void EarlyStoppingRestoresTheBestEpochsWeights()
    {
        (Dataset train, Dataset validation) = Iris(3);
        // A large network and a high learning rate overfit quickly, so the best validation loss comes early.
        var options = new TrainerOptions { Seed = 1, LearningRate = 0.05f, Patience = 5, Epochs = 300, WeightDecay = 0 };
        Network network = Network.CreateClassifier(4, [64], 3, seed: 1);
        TrainingResult result = new Trainer(network, options).Fit(train, validation);
        Assert.Equal(StopReason.EarlyStopped, result.StopReason);
        Assert.True(result.RestoredBestWeights);
        int best = result.ValidationLossHistory.Select((v, i) => (v, i)).MinBy(t => t.v).i + 1;
        Assert.Equal(best, result.BestEpoch);
        Assert.True(result.Epochs >= best + 5);
        // The network now scores exactly the best epoch's validation loss, not the last epoch's.
        Assert.Equal(result.ValidationLossHistory[best - 1], Evaluation.LossAndAccuracy(network, validation).Loss, 12);
        Assert.NotEqual(result.ValidationLossHistory[^1], result.ValidationLossHistory[best - 1]);
    }

    [Fact]
    public void RunningToTheMaximumAlsoRestoresTheBestWeights()
    {
        (Dataset train, Dataset validation) = Iris(3);
        var options = new TrainerOptions { Seed = 1, LearningRate = 0.05f, EarlyStopping = false, Epochs = 40, WeightDecay = 0 };
        Network network = Network.CreateClassifier(4, [64], 3, seed: 1);
        TrainingResult result = new Trainer(network, options).Fit(train, validation);
        Assert.Equal(StopReason.MaxEpochs, result.StopReason);
        double best = result.ValidationLossHistory.Min();
        Assert.Equal(best, Evaluation.LossAndAccuracy(network, validation).Loss, 12);
    }

    [Fact]
    public void NaNLossStopsWithAClearReason()
    {
        (Dataset train, Dataset validation) = Iris(3);
        var bad = (float[])train.Features.Clone();
        bad[5] = float.NaN;
        TrainingResult result = new Trainer(Network.CreateClassifier(4, [8], 3), new TrainerOptions()).Fit(train.WithFeatures(bad), validation);
        Assert.Equal(StopReason.NonFiniteLoss, result.StopReason);
        Assert.Equal(1, result.Epochs);
        Assert.Contains("NaN or infinite", result.Describe());
    }

    [Fact]
    public void CapturedStateResumesBitForBit()
    {
        (Dataset train, Dataset validation) = Iris(4);
        var options = new TrainerOptions { Seed = 9, Epochs = 30, EarlyStopping = false, Schedule = ScheduleKind.Cosine };
        Network straight = Network.CreateClassifier(4, [8], 3, seed: 9);
        TrainingResult full = new Trainer(straight, options).Fit(train, validation);

        Network first = Network.CreateClassifier(4, [8], 3, seed: 9);
        var part = new Trainer(first, options with { Epochs = 30 });
        TrainingState? saved = null;
        Network? savedWeights = null;
        part.EpochCompleted = t => { if (t.Epoch == 12) { saved = t.CaptureState(); savedWeights = t.Network.Clone(); } };
        part.Fit(train, validation);

        Network resumed = savedWeights!;
        var again = new Trainer(resumed, options);
        again.RestoreState(saved!);
        TrainingResult rest = again.Fit(train, validation);
        Assert.Equal(full.LossHistory, rest.LossHistory);
        for (int i = 0; i < straight.Parameters.Count; i++) Assert.Equal(straight.Parameters[i].Value, resumed.Parameters[i].Value);
    }
}
