using System.Text.Json;
using System.Text.Json.Serialization;

namespace Xent.Cli;

/// <summary>
/// The JSON of a run's settings (<c>TrainCommand.TrainSettings</c>), which a checkpoint stores as an opaque string so that
/// <c>--resume</c> needs nothing else. The conventions are the library's model-file conventions (camelCase, enums as
/// camelCase words, NaN and infinities as strings), so checkpoints written before the library's JSON became
/// source-generated still resume.
/// </summary>
internal static class SettingsJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };
}
