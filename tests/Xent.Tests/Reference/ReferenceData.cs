using System.Text.Json;

namespace Xent.Tests.Reference;

/// <summary>Reads the JSON files that the checked-in generator scripts beside this file wrote.</summary>
public static class ReferenceData
{
    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNameCaseInsensitive = true,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static T Load<T>(string fileName)
    {
        string path = Path.Combine(AppContext.BaseDirectory, "Reference", fileName);
        return JsonSerializer.Deserialize<T>(File.ReadAllText(path), Options)
            ?? throw new InvalidDataException($"{path} is empty");
    }
}
