using Xent.Data;
using Xent.Layers;
using Xent.Losses;
using Xent.Optimizers;
using Xent.Training;

namespace Xent.Tests.Training;

public class TrainerTests
{
    private static (Dataset Train, Dataset Validation) IrisSplit(long seed)
    {
        (Dataset train, Dataset validation) = Split.Stratified(Iris.Load(), 0.2, seed);
        Standardizer s = Standardizer.Fit(train);
        return (s.Transform(train), s.Transform(validation));
    }

    [Fact]
    public void SgdStepIsThetaMinusLearningRateTimesGradient()
    {
        var p = new Parameter("p", [3]);
        p.Value[0] = 1; p.Value[1] = 2; p.Value[2] = 3;
        p.Gradient[0] = 0.5f; p.Gradient[1] = -1; p.Gradient[2] = 0;
        new Sgd([p], 0.1f).Step();
        Assert.Equal([0.95f, 2.1f, 3f], p.Value);
    }

    [Fact]
    public void SgdMomentumAccumulatesVelocity()
    {
        var p = new Parameter("p", [1]);
        var sgd = new Sgd([p], 0.1f, momentum: 0.9f);
        p.Gradient[0] = 1;
        sgd.Step(); // v = 1, θ = −0.1
        sgd.Step(); // v = 1.9, θ = −0.29
        Assert.Equal(-0.29f, p.Value[0], 6);
    }

    [Fact]
    public void TrainingOnIrisLowersTheLossAndGeneralises()
    {
        (Dataset train, Dataset validation) = IrisSplit(1);
        Network network = Network.CreateClassifier(4, [16], 3, Activation.Relu, seed: 1);
        double before = Evaluation.LossAndAccuracy(network, train).Loss;
        TrainingResult result = Trainer.Create(network, new TrainerOptions { Seed = 1 }).Fit(train, validation);
        (double loss, double accuracy) = Evaluation.LossAndAccuracy(network, validation);
        Assert.True(result.LossHistory[^1] < before / 5, $"loss went from {before} to {result.LossHistory[^1]}");
        Assert.True(accuracy >= 0.9, $"validation accuracy {accuracy}");
        Assert.True(loss < 0.3, $"validation loss {loss}");
        Assert.Equal(result.Epochs, result.LossHistory.Count);
    }

    [Fact]
    public void SameSeedGivesBitIdenticalModels()
    {
        (Dataset train, _) = IrisSplit(2);
        Network a = Network.CreateClassifier(4, [8], 3, seed: 4), b = Network.CreateClassifier(4, [8], 3, seed: 4);
        var options = new TrainerOptions { Seed = 4, Epochs = 30 };
        TrainingResult ra = Trainer.Create(a, options).Fit(train);
        TrainingResult rb = Trainer.Create(b, options).Fit(train);
        Assert.Equal(ra.LossHistory, rb.LossHistory);
        for (int i = 0; i < a.Parameters.Count; i++) Assert.Equal(a.Parameters[i].Value, b.Parameters[i].Value);
    }

    [Fact]
    public void StopsWhenTheLossStopsImprovingOrAtTheEpochLimit()
    {
        (Dataset train, _) = IrisSplit(3);
        TrainingResult limited = Trainer.Create(Network.CreateClassifier(4, [8], 3), new TrainerOptions { Epochs = 5 }).Fit(train);
        Assert.Equal(StopReason.MaxEpochs, limited.StopReason);
        Assert.Equal(5, limited.Epochs);
        var patient = new TrainerOptions { Epochs = 5000, MinDelta = 0.01, Patience = 3 };
        TrainingResult stopped = Trainer.Create(Network.CreateClassifier(4, [8], 3), patient).Fit(train);
        Assert.Equal(StopReason.NoImprovement, stopped.StopReason);
        Assert.True(stopped.Epochs < 5000);
        // The last Patience epochs each failed to beat the best earlier loss by more than the tolerance.
        double bestBefore = stopped.LossHistory.Take(stopped.Epochs - 3).Min();
        Assert.All(stopped.LossHistory.Skip(stopped.Epochs - 3), l => Assert.True(l >= bestBefore - 0.01));
    }

    [Fact]
    public void ADivergingRunStopsWithANonFiniteLossReason()
    {
        (Dataset train, _) = IrisSplit(3);
        var options = new TrainerOptions { Optimizer = OptimizerKind.Sgd, LearningRate = 1e30f, Momentum = 0, Epochs = 50 };
        TrainingResult result = Trainer.Create(Network.CreateClassifier(4, [8], 3), options).Fit(train);
        Assert.Equal(StopReason.NonFiniteLoss, result.StopReason);
        Assert.Contains("NaN or infinite", result.Describe());
    }

    [Fact]
    public void OptionsValidationNamesTheField()
    {
        Assert.Equal("Epochs", Assert.Throws<ArgumentException>(() => new TrainerOptions { Epochs = 0 }.Validate()).ParamName);
        Assert.Equal("LearningRate", Assert.Throws<ArgumentException>(() => new TrainerOptions { LearningRate = 0 }.Validate()).ParamName);
        Assert.Equal("BatchSize", Assert.Throws<ArgumentException>(() => new TrainerOptions { BatchSize = -1 }.Validate()).ParamName);
    }

    [Fact]
    public void CrossEntropyOfTheWorkedExampleRowByHand()
    {
        // p = e^1.04 / (e^1.04 + 1 + e^0.14) = 0.5682 (the walkthrough's 0.57) and −ln p = 0.5653; the walkthrough's 0.56
        // is −ln 0.57, taken after rounding p. Gradient: p − 1 for the observed class, p for the others.
        var loss = new SoftmaxCrossEntropy();
        var grad = new float[3];
        double value = loss.ForwardBackward([1.04f, 0f, 0.14f], [0], 1, 3, grad);
        double sum = Math.Exp(1.04) + 1 + Math.Exp(0.14);
        Numerical.AssertClose(-Math.Log(Math.Exp(1.04) / sum), value, 1e-6, 1e-7);
        Assert.Equal(0.5653, Math.Round(value, 4));
        Assert.Equal(0.56, Math.Round(-Math.Log(0.57), 2));
        Numerical.AssertClose([Math.Exp(1.04) / sum - 1, 1 / sum, Math.Exp(0.14) / sum], Numerical.ToDouble(grad), 1e-6, 1e-7);
    }
}
