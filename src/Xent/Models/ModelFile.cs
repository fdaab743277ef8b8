using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Xent.Data;
using Xent.Layers;

namespace Xent.Models;

/// <summary>
/// The Xent model file: one safetensors file holding every weight and bias under its parameter name
/// (<c>hidden1.weight</c> [outputs, inputs], <c>hidden1.bias</c> [outputs], ...) and, in <c>__metadata__</c>:
/// <c>format</c> ("xent-classifier"), <c>format_version</c>, <c>xent_version</c>, <c>architecture</c> (JSON: the layers
/// with sizes and activations), <c>features</c> and <c>classes</c> (JSON arrays of names), <c>standardization</c>
/// (JSON: mean and deviation per feature, or null), <c>training</c> (JSON: the options it was trained with) and, from
/// format version 2, <c>schema</c> (JSON: the missing-value policy and, per original column in order, its name, kind,
/// fill value, missing indicator, kept categories and missing category; see <see cref="ColumnEncoding"/>). <c>features</c>
/// then names the encoded features. Version 1 files (numeric features, no schema) still load.
/// </summary>
public static class ModelFile
{
    /// <summary>The value of the <c>format</c> metadata entry that marks a Xent model file.</summary>
    public const string Format = "xent-classifier";
    /// <summary>The most layers a model file may have.</summary>
    public const int MaxLayers = 64;
    /// <summary>The widest layer (inputs or outputs) a model file may have.</summary>
    public const int MaxWidth = 1 << 20;

    // The shapes of the metadata entries, serialised through ModelJson's generated code.
    internal sealed record LayerSpec(string Name, int Inputs, int Outputs, string Activation);
    internal sealed record Architecture(int Inputs, LayerSpec[] Layers);
    internal sealed record StandardizationSpec(float[] Mean, float[] Deviation);
    internal sealed record SchemaSpec(MissingValues Missing, ColumnEncoding[] Columns);

    /// <summary>The format version this Xent writes; it reads this one and every earlier one.</summary>
    public const int FormatVersion = 2;

    /// <summary>The <c>__metadata__</c> entries a model file of <paramref name="model"/> holds (every value a string; the structured ones JSON).</summary>
    /// <param name="model">The classifier to describe.</param>
    /// <returns>A new dictionary from entry name to value.</returns>
    public static Dictionary<string, string> Metadata(Classifier model)
    {
        Dictionary<string, string> metadata = BaseMetadata(model);
        // The run's curves and stopping (optional: a model built by hand has none); Load puts them back in TrainingResult.
        if (model.TrainingResult is { } result) metadata["history"] = JsonSerializer.Serialize(result, ModelJson.Files.TrainingResult);
        return metadata;
    }

    private static Dictionary<string, string> BaseMetadata(Classifier model) => new()
    {
        ["format"] = Format,
        ["format_version"] = FormatVersion.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["xent_version"] = Classifier.Version,
        ["architecture"] = JsonSerializer.Serialize(new Architecture(model.Network.InputCount,
            model.Network.Layers.Select(l => new LayerSpec(l.Name, l.Inputs, l.Outputs, l.Activation.ToString().ToLowerInvariant())).ToArray()), ModelJson.Files.Architecture),
        ["features"] = JsonSerializer.Serialize(model.FeatureNames, ModelJson.Files.IReadOnlyListString),
        ["classes"] = JsonSerializer.Serialize(model.ClassNames, ModelJson.Files.IReadOnlyListString),
        ["standardization"] = model.Standardizer is null ? "null" : JsonSerializer.Serialize(new StandardizationSpec(model.Standardizer.Mean, model.Standardizer.Deviation), ModelJson.Files.StandardizationSpec),
        ["training"] = JsonSerializer.Serialize(model.Options, ModelJson.Files.ClassifierOptions),
        ["schema"] = JsonSerializer.Serialize(new SchemaSpec(model.Encoder.Missing, model.Encoder.Columns.ToArray()), ModelJson.Files.SchemaSpec),
    };

    /// <summary>Writes <paramref name="model"/> to <paramref name="path"/> atomically: a temporary file is written, loaded back with <see cref="Load"/>, and only then renamed over the target.</summary>
    /// <param name="model">The classifier to save.</param>
    /// <param name="path">The .safetensors file to write; its folder must exist.</param>
    /// <param name="overwrite">Whether an existing file may be replaced; false makes an existing file an <see cref="IOException"/>.</param>
    /// <exception cref="ModelFileException">The written file did not load back; nothing was replaced.</exception>
    public static void Save(Classifier model, string path, bool overwrite = true)
    {
        var tensors = model.Network.Parameters.Select(p => new NamedTensor(p.Name, p.Shape, p.Value.ToArray())).ToList();
        if (!overwrite && File.Exists(path)) throw new IOException($"{path} already exists");
        // The finished temporary file is loaded back before it is installed: a model Xent writes is always one it reads.
        SafeTensors.Write(path, tensors, Metadata(model), overwrite, verify: temporary =>
        {
            try { Load(temporary); }
            catch (ModelFileException e) { throw new ModelFileException($"{path}: not saved, because the written file does not load back ({e.Message})"); }
        });
    }

    /// <summary>Reads and validates a model file (format versions 1 and 2).</summary>
    /// <param name="path">The .safetensors file.</param>
    /// <returns>The classifier, with its training history when the file holds one.</returns>
    /// <exception cref="ModelFileException">The file is corrupt, truncated, of another format or of a newer version; the message names the file and the problem.</exception>
    public static Classifier Load(string path)
    {
        (Dictionary<string, NamedTensor> tensors, Dictionary<string, string> metadata) = SafeTensors.Read(path);
        return FromTensors(tensors, metadata, Path.GetFileName(path));
    }

    internal static Classifier FromTensors(Dictionary<string, NamedTensor> tensors, Dictionary<string, string> metadata, string name, bool allowExtraTensors = false)
    {
        string Meta(string key) => metadata.TryGetValue(key, out string? v) ? v : throw new ModelFileException($"{name}: metadata '{key}' is missing; not a Xent model");
        T Parse<T>(string key, JsonTypeInfo<T> type)
        {
            try { return JsonSerializer.Deserialize(Meta(key), type) ?? throw new ModelFileException($"{name}: metadata '{key}' is null"); }
            catch (JsonException) { throw new ModelFileException($"{name}: metadata '{key}' is not valid JSON of the expected shape"); }
        }
        if (Meta("format") != Format) throw new ModelFileException($"{name}: format '{Meta("format")}' is not '{Format}'");
        string version = Meta("format_version");
        if (version is not ("1" or "2")) throw new ModelFileException($"{name}: format version {version} is newer than this Xent reads; upgrade Xent");
        Architecture architecture = Parse("architecture", ModelJson.Files.Architecture);
        string[] features = Parse("features", ModelJson.Files.StringArray);
        string[] classes = Parse("classes", ModelJson.Files.StringArray);
        if (architecture.Layers is null || architecture.Layers.Length == 0 || architecture.Layers.Length > MaxLayers)
            throw new ModelFileException($"{name}: the architecture must have 1 to {MaxLayers} layers");
        var layers = new Dense[architecture.Layers.Length];
        int previous = architecture.Inputs;
        for (int i = 0; i < layers.Length; i++)
        {
            LayerSpec l = architecture.Layers[i];
            if (l is null || l.Inputs != previous || l.Outputs < 1 || l.Outputs > MaxWidth || l.Inputs < 1 || l.Inputs > MaxWidth)
                throw new ModelFileException($"{name}: layer {i + 1} of the architecture has inconsistent sizes");
            if (!Activations.TryParse(l.Activation, out Activation activation))
                throw new ModelFileException($"{name}: layer {i + 1} has the unknown activation '{l.Activation}'");
            if (string.IsNullOrWhiteSpace(l.Name) || l.Name.Length > 64) throw new ModelFileException($"{name}: layer {i + 1} has no valid name");
            layers[i] = new Dense(l.Inputs, l.Outputs, activation, l.Name);
            previous = l.Outputs;
        }
        Network network;
        try { network = new Network(layers); }
        catch (ArgumentException e) { throw new ModelFileException($"{name}: {e.Message}"); }
        if (features.Length != network.InputCount) throw new ModelFileException($"{name}: {features.Length} feature names for {network.InputCount} inputs");
        if (classes.Length != network.ClassCount) throw new ModelFileException($"{name}: {classes.Length} class names for {network.ClassCount} outputs");
        TableEncoder? encoder = null;
        if (version != "1")
        {
            SchemaSpec schema = Parse("schema", ModelJson.Files.SchemaSpec);
            if (schema.Columns is null || schema.Columns.Length == 0 || schema.Columns.Length > MaxWidth)
                throw new ModelFileException($"{name}: the schema must list 1 to {MaxWidth} columns");
            try { encoder = new TableEncoder(schema.Columns, schema.Missing); }
            catch (ArgumentException e) { throw new ModelFileException($"{name}: bad schema: {e.Message}"); }
            catch (NullReferenceException) { throw new ModelFileException($"{name}: bad schema"); }
            if (!Enum.IsDefined(schema.Missing)) throw new ModelFileException($"{name}: bad schema: unknown missing-value policy");
            if (encoder.FeatureCount != network.InputCount || !encoder.FeatureNames.SequenceEqual(features, StringComparer.Ordinal))
                throw new ModelFileException($"{name}: the schema's {encoder.FeatureCount} features do not match the {network.InputCount} feature names and inputs");
        }
        else if (features.Distinct().Count() != features.Length)
            throw new ModelFileException($"{name}: feature and class names must be distinct");
        if (classes.Distinct().Count() != classes.Length)
            throw new ModelFileException($"{name}: feature and class names must be distinct");
        foreach (Parameter p in network.Parameters)
        {
            if (!tensors.TryGetValue(p.Name, out NamedTensor? t)) throw new ModelFileException($"{name}: tensor '{p.Name}' is missing");
            if (!t.Shape.SequenceEqual(p.Shape))
                throw new ModelFileException($"{name}: tensor '{p.Name}' has shape [{string.Join(", ", t.Shape)}], the architecture needs [{string.Join(", ", p.Shape)}]");
            if (t.Data.Any(v => !float.IsFinite(v))) throw new ModelFileException($"{name}: tensor '{p.Name}' holds NaN or infinite values");
            t.Data.AsSpan().CopyTo(p.Value);
        }
        if (!allowExtraTensors)
            foreach (string tensor in tensors.Keys)
                if (!network.Parameters.Any(p => p.Name == tensor)) throw new ModelFileException($"{name}: unexpected tensor '{tensor}'");
        Standardizer? standardizer = null;
        if (Meta("standardization") != "null")
        {
            StandardizationSpec s = Parse("standardization", ModelJson.Files.StandardizationSpec);
            if (s.Mean is null || s.Deviation is null || s.Mean.Length != features.Length || s.Deviation.Length != features.Length)
                throw new ModelFileException($"{name}: the standardization does not have one mean and deviation per feature");
            try { standardizer = new Standardizer(s.Mean, s.Deviation); }
            catch (ArgumentException e) { throw new ModelFileException($"{name}: bad standardization: {e.Message}"); }
        }
        ClassifierOptions? options = null;
        try { options = JsonSerializer.Deserialize(Meta("training"), ModelJson.Files.ClassifierOptions); }
        catch (JsonException) { throw new ModelFileException($"{name}: metadata 'training' is not valid JSON of the expected shape"); }
        TrainingResult? history = null;
        if (metadata.TryGetValue("history", out string? historyJson))
        {
            try { history = JsonSerializer.Deserialize(historyJson, ModelJson.Files.TrainingResult); }
            catch (JsonException) { throw new ModelFileException($"{name}: metadata 'history' is not valid JSON of the expected shape"); }
        }
        return new Classifier(network, standardizer, features, classes, options, encoder) { TrainingResult = history };
    }
}
