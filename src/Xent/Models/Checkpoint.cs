using System.Text.Json;
using Xent.Training;

namespace Xent.Models;

/// <summary>
/// A training checkpoint: one safetensors file, <c>checkpoint.safetensors</c> in the checkpoint folder, holding the current
/// weights (under their parameter names), the best epoch's weights (<c>best/</c>…), the optimizer's buffers
/// (<c>optimizer/</c>…), and in its metadata the trainer's scalar state and the caller's settings (for the CLI, the
/// options of the run) so that a resumed run continues exactly where the saved one was.
/// </summary>
public static class Checkpoint
{
    public const string FileName = "checkpoint.safetensors";
    public const string Format = "xent-checkpoint";

    private sealed record ScalarState(int Epoch, string[] RandomState, long OptimizerStepCount, float LearningRate, double PlateauBest,
        int PlateauWait, double Best, int BestEpoch, int SinceBest, double[] LossHistory, double[] ValidationLossHistory, double[] ValidationAccuracyHistory, double[]? TrainAccuracyHistory,
        int BatchStart = 0, double EpochLossSum = 0, int EpochCorrect = 0);

    public static void Save(string directory, Trainer trainer, string settings)
    {
        Directory.CreateDirectory(directory);
        TrainingState state = trainer.CaptureState();
        var tensors = new List<Tensor>();
        foreach (Layers.Parameter p in trainer.Network.Parameters) tensors.Add(new Tensor(p.Name, p.Shape, p.Value));
        for (int i = 0; i < state.BestWeights.Length; i++)
            tensors.Add(new Tensor("best/" + trainer.Network.Parameters[i].Name, trainer.Network.Parameters[i].Shape, state.BestWeights[i]));
        foreach ((string name, float[] buffer) in state.OptimizerState) tensors.Add(new Tensor("optimizer/" + name, [buffer.Length], buffer));
        var scalars = new ScalarState(state.Epoch, state.RandomState.Select(w => w.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray(),
            state.OptimizerStepCount, state.LearningRate, state.PlateauBest, state.PlateauWait, state.Best, state.BestEpoch, state.SinceBest,
            state.LossHistory, state.ValidationLossHistory, state.ValidationAccuracyHistory, state.TrainAccuracyHistory,
            state.BatchStart, state.EpochLossSum, state.EpochCorrect);
        var metadata = new Dictionary<string, string>
        {
            ["format"] = Format,
            ["xent_version"] = Classifier.Version,
            ["settings"] = settings,
            ["state"] = JsonSerializer.Serialize(scalars, Classifier.JsonOptions),
        };
        SafeTensors.Write(Path.Combine(directory, FileName), tensors, metadata);
    }

    /// <summary>The settings string saved with the checkpoint in <paramref name="directory"/>.</summary>
    public static string ReadSettings(string directory)
    {
        (_, Dictionary<string, string> metadata) = Open(directory, out _);
        return metadata["settings"];
    }

    /// <summary>Restores the weights and the trainer state saved in <paramref name="directory"/> into a fresh trainer of the same run.</summary>
    public static void Restore(string directory, Trainer trainer)
    {
        (Dictionary<string, Tensor> tensors, Dictionary<string, string> metadata) = Open(directory, out string name);
        ScalarState scalars;
        try { scalars = JsonSerializer.Deserialize<ScalarState>(metadata["state"], Classifier.JsonOptions) ?? throw new JsonException(); }
        catch (JsonException) { throw new ModelFileException($"{name}: the training state is not valid"); }
        float[] Take(string tensor, int length)
        {
            if (!tensors.TryGetValue(tensor, out Tensor? t) || t.Data.Length != length)
                throw new ModelFileException($"{name}: tensor '{tensor}' is missing or has the wrong size; the checkpoint belongs to another network or optimizer");
            return t.Data;
        }
        var parameters = trainer.Network.Parameters;
        foreach (Layers.Parameter p in parameters) Take(p.Name, p.Length).CopyTo(p.Value, 0);
        ulong[] random;
        try { random = scalars.RandomState.Select(s => ulong.Parse(s, System.Globalization.CultureInfo.InvariantCulture)).ToArray(); }
        catch (FormatException) { throw new ModelFileException($"{name}: the generator state is not valid"); }
        var state = new TrainingState
        {
            Epoch = scalars.Epoch,
            RandomState = random,
            OptimizerStepCount = scalars.OptimizerStepCount,
            OptimizerState = trainer.Optimizer.State.Select(s => (s.Name, Take("optimizer/" + s.Name, s.Buffer.Length))).ToArray(),
            LearningRate = scalars.LearningRate,
            PlateauBest = scalars.PlateauBest,
            PlateauWait = scalars.PlateauWait,
            Best = scalars.Best,
            BestEpoch = scalars.BestEpoch,
            SinceBest = scalars.SinceBest,
            BestWeights = parameters.Select(p => Take("best/" + p.Name, p.Length)).ToArray(),
            LossHistory = scalars.LossHistory,
            ValidationLossHistory = scalars.ValidationLossHistory,
            ValidationAccuracyHistory = scalars.ValidationAccuracyHistory,
            TrainAccuracyHistory = scalars.TrainAccuracyHistory ?? [],
            BatchStart = scalars.BatchStart,
            EpochLossSum = scalars.EpochLossSum,
            EpochCorrect = scalars.EpochCorrect,
        };
        try { trainer.RestoreState(state); }
        catch (ArgumentException e) { throw new ModelFileException($"{name}: {e.Message}"); }
    }

    private static (Dictionary<string, Tensor>, Dictionary<string, string>) Open(string directory, out string name)
    {
        string path = Path.Combine(directory, FileName);
        name = path;
        if (!File.Exists(path)) throw new ModelFileException($"{directory}: no {FileName} here; was the run started with --checkpoint-dir {directory}?");
        (Dictionary<string, Tensor> tensors, Dictionary<string, string> metadata) = SafeTensors.Read(path);
        if (!metadata.TryGetValue("format", out string? format) || format != Format || !metadata.ContainsKey("settings") || !metadata.ContainsKey("state"))
            throw new ModelFileException($"{path}: not a Xent checkpoint");
        return (tensors, metadata);
    }
}
