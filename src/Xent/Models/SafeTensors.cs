using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace Xent.Models;

/// <summary>One named float32 tensor.</summary>
internal sealed record NamedTensor(string Name, int[] Shape, float[] Data);

/// <summary>
/// The safetensors format: an 8-byte little-endian header length N, N bytes of JSON
/// ({"name": {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}, ..., "__metadata__": {string: string}}),
/// then the raw little-endian tensor bytes, offsets relative to the end of the header. Reading validates everything and
/// never executes or allocates according to unchecked sizes.
/// </summary>
internal static class SafeTensors
{
    /// <summary>The largest header accepted (a hostile length field cannot make the reader allocate more).</summary>
    public const int MaxHeaderBytes = 16 << 20;

    public static void Write(string path, IReadOnlyList<NamedTensor> tensors, IReadOnlyDictionary<string, string> metadata, bool overwrite = true, Action<string>? verify = null) =>
        AtomicFile.Write(path, stream => Write(stream, tensors, metadata), overwrite, verify);

    public static void Write(Stream stream, IReadOnlyList<NamedTensor> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        using var json = new MemoryStream();
        using (var writer = new Utf8JsonWriter(json))
        {
            writer.WriteStartObject();
            writer.WriteStartObject("__metadata__");
            foreach ((string key, string value) in metadata) writer.WriteString(key, value);
            writer.WriteEndObject();
            long offset = 0;
            foreach (NamedTensor t in tensors)
            {
                long length = (long)t.Data.Length * sizeof(float);
                if (t.Shape.Aggregate(1L, (a, b) => a * b) != t.Data.Length) throw new ArgumentException($"tensor {t.Name}: shape does not match its data", nameof(tensors));
                writer.WriteStartObject(t.Name);
                writer.WriteString("dtype", "F32");
                writer.WriteStartArray("shape");
                foreach (int d in t.Shape) writer.WriteNumberValue(d);
                writer.WriteEndArray();
                writer.WriteStartArray("data_offsets");
                writer.WriteNumberValue(offset);
                writer.WriteNumberValue(offset + length);
                writer.WriteEndArray();
                writer.WriteEndObject();
                offset += length;
            }
            writer.WriteEndObject();
        }
        // Pad the header with spaces so the tensor data starts 8-byte aligned.
        int padding = (int)((8 - json.Length % 8) % 8);
        Span<byte> prefix = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)(json.Length + padding));
        stream.Write(prefix);
        json.Position = 0;
        json.CopyTo(stream);
        for (int i = 0; i < padding; i++) stream.WriteByte((byte)' ');
        Span<byte> word = stackalloc byte[4];
        foreach (NamedTensor t in tensors)
        {
            if (BitConverter.IsLittleEndian) stream.Write(MemoryMarshal.AsBytes(t.Data.AsSpan()));
            else foreach (float v in t.Data) { BinaryPrimitives.WriteSingleLittleEndian(word, v); stream.Write(word); }
        }
    }

    public static (Dictionary<string, NamedTensor> Tensors, Dictionary<string, string> Metadata) Read(string path)
    {
        string name = Path.GetFileName(path);
        if (!File.Exists(path)) throw new ModelFileException($"{path}: no such file");
        byte[] bytes;
        var info = new FileInfo(path);
        if (info.Length > int.MaxValue) throw new ModelFileException($"{name}: {info.Length} bytes is larger than a Xent model can be");
        bytes = File.ReadAllBytes(path);
        return Read(bytes, name);
    }

    public static (Dictionary<string, NamedTensor> Tensors, Dictionary<string, string> Metadata) Read(ReadOnlySpan<byte> file, string name)
    {
        if (file.Length < 8) throw new ModelFileException($"{name}: {file.Length} bytes is too short to be a safetensors file (truncated?)");
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(file);
        if (headerLength > MaxHeaderBytes) throw new ModelFileException($"{name}: the header claims {headerLength} bytes, more than the {MaxHeaderBytes} allowed; not a Xent model or corrupt");
        if ((long)headerLength > file.Length - 8) throw new ModelFileException($"{name}: the header claims {headerLength} bytes but the file has only {file.Length - 8} after the length field (truncated?)");
        ReadOnlySpan<byte> header = file.Slice(8, (int)headerLength);
        ReadOnlySpan<byte> data = file[(8 + (int)headerLength)..];
        JsonDocument doc;
        try { doc = JsonDocument.Parse(header.ToArray(), new JsonDocumentOptions { MaxDepth = 8 }); }
        catch (JsonException e) { throw new ModelFileException($"{name}: the header is not valid JSON ({e.Message.Split('.')[0]})"); }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new ModelFileException($"{name}: the header is not a JSON object");
            var tensors = new Dictionary<string, NamedTensor>(StringComparer.Ordinal);
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            var ranges = new List<(long Begin, long End, string Name)>();
            foreach (JsonProperty property in doc.RootElement.EnumerateObject())
            {
                if (property.Name == "__metadata__")
                {
                    if (property.Value.ValueKind != JsonValueKind.Object) throw new ModelFileException($"{name}: __metadata__ is not an object");
                    foreach (JsonProperty m in property.Value.EnumerateObject())
                    {
                        if (m.Value.ValueKind != JsonValueKind.String) throw new ModelFileException($"{name}: metadata '{m.Name}' is not a string");
                        metadata[m.Name] = m.Value.GetString()!;
                    }
                    continue;
                }
                JsonElement e = property.Value;
                string tensor = property.Name;
                if (e.ValueKind != JsonValueKind.Object) throw new ModelFileException($"{name}: tensor '{tensor}' is not described by an object");
                if (!e.TryGetProperty("dtype", out JsonElement dtype) || dtype.ValueKind != JsonValueKind.String)
                    throw new ModelFileException($"{name}: tensor '{tensor}' has no dtype");
                if (dtype.GetString() != "F32") throw new ModelFileException($"{name}: tensor '{tensor}' has dtype {dtype.GetString()}; Xent models hold F32 only");
                if (!e.TryGetProperty("shape", out JsonElement shapeElement) || shapeElement.ValueKind != JsonValueKind.Array || shapeElement.GetArrayLength() > 8)
                    throw new ModelFileException($"{name}: tensor '{tensor}' has no valid shape");
                var shape = new int[shapeElement.GetArrayLength()];
                long count = 1;
                int i = 0;
                foreach (JsonElement d in shapeElement.EnumerateArray())
                {
                    if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt32(out shape[i]) || shape[i] < 0)
                        throw new ModelFileException($"{name}: tensor '{tensor}' has a dimension that is not a non-negative integer");
                    count *= shape[i++];
                    if (count > int.MaxValue / 4) throw new ModelFileException($"{name}: tensor '{tensor}' is impossibly large");
                }
                if (!e.TryGetProperty("data_offsets", out JsonElement offsets) || offsets.ValueKind != JsonValueKind.Array || offsets.GetArrayLength() != 2
                    || !offsets[0].TryGetInt64(out long begin) || !offsets[1].TryGetInt64(out long end))
                    throw new ModelFileException($"{name}: tensor '{tensor}' has no valid data_offsets");
                if (begin < 0 || end < begin || end > data.Length)
                    throw new ModelFileException($"{name}: tensor '{tensor}' claims bytes {begin}..{end} but the data section has {data.Length} bytes (truncated or corrupt)");
                if (end - begin != count * 4)
                    throw new ModelFileException($"{name}: tensor '{tensor}' has {end - begin} bytes for shape [{string.Join(", ", shape)}], which needs {count * 4}");
                var values = new float[count];
                ReadOnlySpan<byte> raw = data.Slice((int)begin, (int)(end - begin));
                for (int k = 0; k < values.Length; k++) values[k] = BinaryPrimitives.ReadSingleLittleEndian(raw.Slice(k * 4, 4));
                tensors[tensor] = new NamedTensor(tensor, shape, values);
                ranges.Add((begin, end, tensor));
            }
            // The data section must be covered exactly once: no overlaps, no holes, nothing after the last tensor.
            long position = 0;
            foreach ((long b, long en, string t) in ranges.OrderBy(r => r.Begin))
            {
                if (b != position) throw new ModelFileException($"{name}: tensor '{t}' starts at byte {b} but the previous one ended at {position} (overlapping or a gap)");
                position = en;
            }
            if (position != data.Length) throw new ModelFileException($"{name}: {data.Length - position} bytes after the last tensor; the file is corrupt");
            return (tensors, metadata);
        }
    }
}
