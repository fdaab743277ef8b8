using System.Text.Json;

namespace Xent.Cli;

/// <summary>JSON writing shared by the commands.</summary>
internal static class JsonOutput
{
    /// <summary>Readable output: "=>" and "→" stay as they are rather than becoming \u escapes.</summary>
    public static readonly JsonWriterOptions Options = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>A number, or null where it is NaN or infinite (JSON has no such numbers).</summary>
    public static void Number(Utf8JsonWriter writer, string? name, double value)
    {
        if (name is not null) writer.WritePropertyName(name);
        if (double.IsFinite(value)) writer.WriteNumberValue(value);
        else writer.WriteNullValue();
    }

    public static string Write(Action<Utf8JsonWriter> body)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, Options)) body(writer);
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }
}
