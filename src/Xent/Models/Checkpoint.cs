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
    /// <summary>The checkpoint's file name inside its folder.</summary>
    public const string FileName = "checkpoint.safetensors";
    /// <summary>The value of the <c>format</c> metadata entry that marks a checkpoint.</summary>
    public const string Format = "xent-checkpoint";

    /// <summary>Saves <paramref name="trainer"/>'s weights and complete state to <paramref name="directory"/>/<see cref="FileName"/>, atomically, replacing an earlier checkpoint there.</summary>
    /// <param name="directory">The checkpoint folder; created if it does not exist.</param>
    /// <param name="trainer">The trainer whose network, optimizer and state are saved (between batches or epochs).</param>
    /// <param name="settings">The caller's own description of the run (any string, e.g. JSON), returned by <see cref="ReadSettings"/>.</param>
    public static void Save(string directory, Trainer trainer, string settings)
    {
        Directory.CreateDirectory(directory);
        TrainingState state = trainer.CaptureState();
        var tensors = new List<NamedTensor>();
        foreach (Layers.Parameter p in trainer.Network.Parameters) tensors.Add(new NamedTensor(p.Name, p.Shape, p.Value.ToArray()));
        for (int i = 0; i < state.BestWeights.Length; i++)
            tensors.Add(new NamedTensor("best/" + trainer.Network.Parameters[i].Name, trainer.Network.Parameters[i].Shape, state.BestWeights[i]));
        foreach ((string name, float[] buffer) in state.OptimizerState) tensors.Add(new NamedTensor("optimizer/" + name, [buffer.Length], buffer));
        var metadata = new Dictionary<string, string>
        {
            ["format"] = Format,
            ["xent_version"] = Classifier.Version,
            ["settings"] = settings,
            // The state record itself: its buffers are the tensors above, everything else is its JSON.
            ["state"] = JsonSerializer.Serialize(state, ModelJson.Files.TrainingState),
        };
        SafeTensors.Write(Path.Combine(directory, FileName), tensors, metadata);
    }

    /// <summary>The settings string saved with the checkpoint in <paramref name="directory"/>.</summary>
    /// <param name="directory">The checkpoint folder.</param>
    /// <returns>The <c>settings</c> string given to <see cref="Save"/>.</returns>
    /// <exception cref="ModelFileException">The folder holds no valid checkpoint.</exception>
    public static string ReadSettings(string directory)
    {
        (_, Dictionary<string, string> metadata) = Open(directory, out _);
        return metadata["settings"];
    }

    /// <summary>Restores the weights and the trainer state saved in <paramref name="directory"/> into a fresh trainer of the same run.</summary>
    /// <param name="directory">The checkpoint folder.</param>
    /// <param name="trainer">A trainer built with the same network shape and options as the saved one; its network's weights are replaced.</param>
    /// <exception cref="ModelFileException">The checkpoint is invalid or belongs to another network or optimizer.</exception>
    public static void Restore(string directory, Trainer trainer)
    {
        (Dictionary<string, NamedTensor> tensors, Dictionary<string, string> metadata) = Open(directory, out string name);
        TrainingState scalars;
        try { scalars = JsonSerializer.Deserialize(metadata["state"], ModelJson.Files.TrainingState) ?? throw new JsonException(); }
        catch (JsonException) { throw new ModelFileException($"{name}: the training state is not valid"); }
        float[] Take(string tensor, int length)
        {
            if (!tensors.TryGetValue(tensor, out NamedTensor? t) || t.Data.Length != length)
                throw new ModelFileException($"{name}: tensor '{tensor}' is missing or has the wrong size; the checkpoint belongs to another network or optimizer");
            return t.Data;
        }
        var parameters = trainer.Network.Parameters;
        foreach (Layers.Parameter p in parameters) Take(p.Name, p.Length).AsSpan().CopyTo(p.Value);
        TrainingState state = scalars with
        {
            OptimizerState = trainer.Optimizer.State.Select(s => (s.Name, Take("optimizer/" + s.Name, s.Buffer.Length))).ToArray(),
            BestWeights = parameters.Select(p => Take("best/" + p.Name, p.Length)).ToArray(),
        };
        try { trainer.RestoreState(state); }
        catch (ArgumentException e) { throw new ModelFileException($"{name}: {e.Message}"); }
    }

    private static (Dictionary<string, NamedTensor>, Dictionary<string, string>) Open(string directory, out string name)
    {
        string path = Path.Combine(directory, FileName);
        name = path;
        if (!File.Exists(path)) throw new ModelFileException($"{directory}: no {FileName} here; is it the folder the run saved its checkpoints in?");
        (Dictionary<string, NamedTensor> tensors, Dictionary<string, string> metadata) = SafeTensors.Read(path);
        if (!metadata.TryGetValue("format", out string? format) || format != Format || !metadata.ContainsKey("settings") || !metadata.ContainsKey("state"))
            throw new ModelFileException($"{path}: not a Xent checkpoint");
        return (tensors, metadata);
    }
}
