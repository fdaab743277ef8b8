using System.Text.Json;
using System.Text.Json.Serialization;
using Xent.Training;

namespace Xent.Models;

/// <summary>
/// The JSON of model metadata, checkpoints and ONNX metadata, generated at compile time so that nothing is serialised by
/// reflection (the library stays trimming- and AOT-compatible). The conventions are those of every file written so far:
/// camelCase names, enums as camelCase words, NaN and infinities as the strings "NaN", "Infinity", "-Infinity".
/// </summary>
[JsonSerializable(typeof(ClassifierOptions))]
[JsonSerializable(typeof(TrainingResult))]
[JsonSerializable(typeof(TrainingState))]
[JsonSerializable(typeof(IReadOnlyList<string>))]
[JsonSerializable(typeof(string[]))]
[JsonSerializable(typeof(ModelFile.Architecture))]
[JsonSerializable(typeof(ModelFile.StandardizationSpec))]
[JsonSerializable(typeof(ModelFile.SchemaSpec))]
internal sealed partial class ModelJson : JsonSerializerContext
{
    /// <summary>The context with the file conventions; use its typed properties (<c>ModelJson.Files.TrainingState</c>).</summary>
    public static ModelJson Files { get; } = new(new JsonSerializerOptions
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        // One generic converter per enum: the non-generic converter would need reflection to make them.
        Converters =
        {
            new JsonStringEnumConverter<Activation>(JsonNamingPolicy.CamelCase),
            new JsonStringEnumConverter<OptimizerKind>(JsonNamingPolicy.CamelCase),
            new JsonStringEnumConverter<MonitorKind>(JsonNamingPolicy.CamelCase),
            new JsonStringEnumConverter<ScheduleKind>(JsonNamingPolicy.CamelCase),
            new JsonStringEnumConverter<Reduction>(JsonNamingPolicy.CamelCase),
            new JsonStringEnumConverter<StopReason>(JsonNamingPolicy.CamelCase),
            new JsonStringEnumConverter<MissingValues>(JsonNamingPolicy.CamelCase),
            new JsonStringEnumConverter<ColumnKind>(JsonNamingPolicy.CamelCase),
        },
    });
}
