using System.Buffers.Binary;
using Google.Protobuf;
using Xent.Data;
using Xent.Layers;
using Xent.Models;

namespace Xent;

/// <summary>
/// Writes a <see cref="Classifier"/> as a standard ONNX model (IR version 8, opset 13 and ai.onnx.ml opset 2). A model of
/// numeric columns without missing-value indicators takes one input <c>features</c> [batch, F] float (NaN for a missing
/// value, filled by an ai.onnx.ml <c>Imputer</c> with the training means when the model imputes). Any other model takes one
/// input per original column, named as the column: [batch, 1] float for a numeric column (NaN = missing; Imputer, and
/// IsNaN → Cast for the "was missing" feature) and [batch, 1] string for a categorical one (trimmed; an ai.onnx.ml
/// <c>LabelEncoder</c> maps each kept category to its slot, the missing spellings to the "missing" slot and anything else to
/// "other", then OneHot and Reshape); the blocks are concatenated in the model's feature order. Then the standardisation as
/// Sub and Div; each layer as Gemm (W stored [outputs, inputs], transB = 1) followed by its
/// activation (Relu, LeakyRelu with α = 0.01, Softplus, Sigmoid, Tanh); Softmax over the classes; outputs <c>logits</c> and
/// <c>probabilities</c> [batch, C]. The protobuf messages are encoded field by field with Google.Protobuf, using the field
/// numbers of the ONNX specification (onnx.proto).
/// </summary>
public static class OnnxExport
{
    private const int FloatType = 1;       // TensorProto.DataType.FLOAT
    private const int Int64Type = 7;       // TensorProto.DataType.INT64
    private const int StringType = 8;      // TensorProto.DataType.STRING
    private const int AttributeFloat = 1;  // AttributeProto.AttributeType.FLOAT
    private const int AttributeInt = 2;    // AttributeProto.AttributeType.INT
    private const int AttributeFloats = 6; // AttributeProto.AttributeType.FLOATS
    private const int AttributeInts = 7;   // AttributeProto.AttributeType.INTS
    private const int AttributeStrings = 8; // AttributeProto.AttributeType.STRINGS
    private const string MlDomain = "ai.onnx.ml";

    /// <summary>The graph's inputs: ("features", "float", F) for a model of plain numeric features, otherwise one
    /// (column name, "float" or "string", 1) per original column.</summary>
    /// <param name="model">The classifier to be exported.</param>
    /// <returns>The inputs in graph order: name, ONNX element type and width.</returns>
    public static IReadOnlyList<(string Name, string Type, int Width)> Inputs(Classifier model) =>
        model.Encoder.IsPlainNumeric
            ? [("features", "float", model.Encoder.FeatureCount)]
            : model.Encoder.Columns.Select(c => (c.Name, c.Kind == ColumnKind.Numeric ? "float" : "string", 1)).ToArray();

    /// <exception cref="NotSupportedException">A column's name is one the graph uses for its own values; the message names it.</exception>
    /// <summary>Writes <paramref name="model"/> as an ONNX file, atomically (a temporary file renamed over the target).</summary>
    /// <param name="model">The classifier to export.</param>
    /// <param name="path">The .onnx file to write; its folder must exist.</param>
    /// <param name="overwrite">Whether an existing file may be replaced; false makes an existing file an <see cref="IOException"/>.</param>
    public static void Save(Classifier model, string path, bool overwrite = true) => AtomicFile.Write(path, stream => stream.Write(ToBytes(model)), overwrite);

    /// <summary>The ONNX model of <paramref name="model"/> as the bytes of a serialised <c>ModelProto</c>.</summary>
    /// <param name="model">The classifier to export.</param>
    /// <returns>The bytes of the .onnx file.</returns>
    /// <exception cref="NotSupportedException">A column's name is one the graph uses for its own values; the message names it.</exception>
    public static byte[] ToBytes(Classifier model)
    {
        var nodes = new List<byte[]>();
        var initializers = new List<byte[]>();
        var inputs = new List<byte[]>();
        string current = Encode(model, nodes, initializers, inputs);
        if (model.Standardizer is { } s)
        {
            initializers.Add(TensorProto("standardize.mean", [s.FeatureCount], s.Mean));
            initializers.Add(TensorProto("standardize.deviation", [s.FeatureCount], s.Deviation));
            nodes.Add(Node("Sub", [current, "standardize.mean"], ["centered"], "standardize_sub"));
            nodes.Add(Node("Div", ["centered", "standardize.deviation"], ["standardized"], "standardize_div"));
            current = "standardized";
        }
        IReadOnlyList<Dense> layers = model.Network.Layers;
        for (int i = 0; i < layers.Count; i++)
        {
            Dense layer = layers[i];
            initializers.Add(TensorProto(layer.Weight.Name, layer.Weight.Shape, layer.Weight.Value.ToArray()));
            initializers.Add(TensorProto(layer.Bias.Name, layer.Bias.Shape, layer.Bias.Value.ToArray()));
            bool last = i == layers.Count - 1;
            string affine = last && layer.Activation == Activation.Identity ? "logits" : $"{layer.Name}.affine";
            nodes.Add(Node("Gemm", [current, layer.Weight.Name, layer.Bias.Name], [affine], $"{layer.Name}_gemm", IntAttribute("transB", 1)));
            current = affine;
            if (layer.Activation != Activation.Identity)
            {
                string activated = last ? "logits" : $"{layer.Name}.output";
                (string op, byte[][] attributes) = layer.Activation switch
                {
                    Activation.Relu => ("Relu", Array.Empty<byte[]>()),
                    Activation.LeakyRelu => ("LeakyRelu", [FloatAttribute("alpha", Activations.LeakySlope)]),
                    Activation.Softplus => ("Softplus", []),
                    Activation.Sigmoid => ("Sigmoid", []),
                    Activation.Tanh => ("Tanh", []),
                    _ => throw new NotSupportedException($"activation {layer.Activation}"),
                };
                nodes.Add(Node(op, [current], [activated], $"{layer.Name}_{op.ToLowerInvariant()}", attributes));
                current = activated;
            }
        }
        nodes.Add(Node("Softmax", ["logits"], ["probabilities"], "softmax", IntAttribute("axis", 1)));

        byte[] graph = Message(o =>
        {
            foreach (byte[] n in nodes) Field(o, 1, n);
            String(o, 2, "xent");
            foreach (byte[] t in initializers) Field(o, 5, t);
            foreach (byte[] input in inputs) Field(o, 11, input);
            Field(o, 12, ValueInfo("logits", model.Network.ClassCount));
            Field(o, 12, ValueInfo("probabilities", model.Network.ClassCount));
        });
        return Message(o =>
        {
            Int(o, 1, 8);                           // ir_version
            String(o, 2, "xent");                   // producer_name
            String(o, 3, Classifier.Version);       // producer_version
            String(o, 6, $"classes: {string.Join(",", model.ClassNames)}; features: {string.Join(",", model.FeatureNames)}"); // doc_string
            Field(o, 7, graph);                     // graph
            Field(o, 8, Message(op => { String(op, 1, ""); Int(op, 2, 13); })); // opset_import: default domain, version 13
            Field(o, 8, Message(op => { String(op, 1, MlDomain); Int(op, 2, 2); })); // and ai.onnx.ml, version 2
            Int(o, 5, ModelFile.FormatVersion);     // model_version
            // metadata_props: what an ONNX user needs without reading the doc string (JSON where a value is a list).
            foreach ((string key, string value) in MetadataProps(model))
                Field(o, 14, Message(e => { String(e, 1, key); String(e, 2, value); }));
        });
    }

    /// <summary>The key-value metadata an exported model carries: class and feature names, the standardisation, versions.</summary>
    /// <param name="model">The classifier to be exported.</param>
    /// <returns>The pairs, in the order they are written: <c>xent_version</c>, <c>classes</c> and <c>features</c> (JSON arrays), <c>standardization</c> (JSON or "null"), <c>network</c>.</returns>
    public static IReadOnlyList<(string Key, string Value)> MetadataProps(Classifier model) =>
    [
        ("xent_version", Classifier.Version),
        ("classes", System.Text.Json.JsonSerializer.Serialize(model.ClassNames, ModelJson.Files.IReadOnlyListString)),
        ("features", System.Text.Json.JsonSerializer.Serialize(model.FeatureNames, ModelJson.Files.IReadOnlyListString)),
        ("standardization", model.Standardizer is { } s
            ? System.Text.Json.JsonSerializer.Serialize(new ModelFile.StandardizationSpec(s.Mean, s.Deviation), ModelJson.Files.StandardizationSpec)
            : "null"),
        ("network", model.Network.ToString()),
    ];

    // The graph's inputs and the nodes that turn them into the encoded features [batch, F]; returns the features' name.
    private static string Encode(Classifier model, List<byte[]> nodes, List<byte[]> initializers, List<byte[]> inputs)
    {
        TableEncoder encoder = model.Encoder;
        if (encoder.IsPlainNumeric)
        {
            inputs.Add(ValueInfo("features", encoder.FeatureCount));
            if (encoder.Missing == MissingValues.Error) return "features";
            nodes.Add(Node("Imputer", ["features"], ["imputed"], "impute", MlDomain,
                FloatsAttribute("imputed_value_floats", encoder.Columns.Select(c => c.Fill).ToArray()), FloatAttribute("replaced_value_float", float.NaN)));
            return "imputed";
        }
        var internalNames = new HashSet<string>(StringComparer.Ordinal) { "encoded", "centered", "standardized", "standardize.mean", "standardize.deviation", "logits", "probabilities", "onehot.values" };
        foreach (Dense layer in model.Network.Layers)
            foreach (string suffix in new[] { ".weight", ".bias", ".affine", ".output" }) internalNames.Add(layer.Name + suffix);
        foreach (ColumnEncoding c in encoder.Columns)
            if (internalNames.Contains(c.Name) || c.Name.StartsWith("encode/", StringComparison.Ordinal))
                throw new NotSupportedException($"the column name '{c.Name}' is one the ONNX graph uses for its own values; rename the column to export the model");
        initializers.Add(TensorProto("onehot.values", [2], [0f, 1f]));
        var parts = new List<string>();
        for (int i = 0; i < encoder.Columns.Count; i++)
        {
            ColumnEncoding c = encoder.Columns[i];
            string prefix = $"encode/{i}";
            if (c.Kind == ColumnKind.Numeric)
            {
                inputs.Add(ValueInfo(c.Name, 1, FloatType));
                nodes.Add(Node("Imputer", [c.Name], [$"{prefix}/value"], $"{prefix}/impute", MlDomain,
                    FloatsAttribute("imputed_value_floats", [c.Fill]), FloatAttribute("replaced_value_float", float.NaN)));
                parts.Add($"{prefix}/value");
                if (c.MissingIndicator)
                {
                    nodes.Add(Node("IsNaN", [c.Name], [$"{prefix}/isnan"], $"{prefix}/isnan"));
                    nodes.Add(Node("Cast", [$"{prefix}/isnan"], [$"{prefix}/missing"], $"{prefix}/cast", IntAttribute("to", FloatType)));
                    parts.Add($"{prefix}/missing");
                }
                continue;
            }
            inputs.Add(ValueInfo(c.Name, 1, StringType));
            var keys = new List<string>(c.Categories);
            var values = Enumerable.Range(0, c.Categories.Length).Select(v => (long)v).ToList();
            if (c.MissingCategory)
                foreach (string spelling in MissingCells.Spellings)
                    if (!keys.Contains(spelling)) { keys.Add(spelling); values.Add(c.MissingSlot); }
            if (keys.Count == 0) { keys.Add("\0no category"); values.Add(c.OtherSlot); }   // LabelEncoder needs at least one key
            nodes.Add(Node("LabelEncoder", [c.Name], [$"{prefix}/index"], $"{prefix}/label_encoder", MlDomain,
                StringsAttribute("keys_strings", keys), IntsAttribute("values_int64s", values), IntAttribute("default_int64", c.OtherSlot)));
            initializers.Add(Int64TensorProto($"{prefix}/depth", [1], [c.Width]));
            initializers.Add(Int64TensorProto($"{prefix}/shape", [2], [-1, c.Width]));
            nodes.Add(Node("OneHot", [$"{prefix}/index", $"{prefix}/depth", "onehot.values"], [$"{prefix}/onehot3"], $"{prefix}/onehot", IntAttribute("axis", -1)));
            nodes.Add(Node("Reshape", [$"{prefix}/onehot3", $"{prefix}/shape"], [$"{prefix}/onehot"], $"{prefix}/reshape"));
            parts.Add($"{prefix}/onehot");
        }
        nodes.Add(Node("Concat", parts.ToArray(), ["encoded"], "encode_concat", IntAttribute("axis", 1)));
        return "encoded";
    }

    // A float32 tensor: its values little-endian, whatever the machine's byte order.
    private static byte[] TensorProto(string name, int[] shape, float[] values)
    {
        var raw = new byte[values.Length * sizeof(float)];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(raw.AsSpan(i * sizeof(float)), values[i]);
        return TensorProto(name, shape, FloatType, raw);
    }

    // An int64 tensor, little-endian likewise.
    private static byte[] Int64TensorProto(string name, int[] shape, long[] values)
    {
        var raw = new byte[values.Length * sizeof(long)];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteInt64LittleEndian(raw.AsSpan(i * sizeof(long)), values[i]);
        return TensorProto(name, shape, Int64Type, raw);
    }

    // TensorProto: dims = 1, data_type = 2, name = 8, raw_data = 9
    private static byte[] TensorProto(string name, int[] shape, int dataType, byte[] raw) => Message(o =>
    {
        foreach (int d in shape) Int(o, 1, d);
        Int(o, 2, dataType);
        String(o, 8, name);
        o.WriteTag(9, WireFormat.WireType.LengthDelimited);
        o.WriteBytes(ByteString.CopyFrom(raw));
    });

    // NodeProto: input = 1, output = 2, name = 3, op_type = 4, attribute = 5, domain = 7
    private static byte[] Node(string op, string[] inputs, string[] outputs, string name, params byte[][] attributes) => Node(op, inputs, outputs, name, "", attributes);

    private static byte[] Node(string op, string[] inputs, string[] outputs, string name, string domain, params byte[][] attributes) => Message(o =>
    {
        foreach (string i in inputs) String(o, 1, i);
        foreach (string x in outputs) String(o, 2, x);
        String(o, 3, name);
        String(o, 4, op);
        foreach (byte[] a in attributes) Field(o, 5, a);
        if (domain.Length > 0) String(o, 7, domain);
    });

    // AttributeProto: floats = 7 (packed), ints = 8 (packed), strings = 9, type = 20
    private static byte[] FloatsAttribute(string name, float[] values) => Message(o =>
    {
        String(o, 1, name);
        foreach (float v in values)
        {
            o.WriteTag(7, WireFormat.WireType.Fixed32);
            o.WriteFloat(v);
        }
        Int(o, 20, AttributeFloats);
    });

    private static byte[] IntsAttribute(string name, IEnumerable<long> values) => Message(o =>
    {
        String(o, 1, name);
        foreach (long v in values) Int(o, 8, v);
        Int(o, 20, AttributeInts);
    });

    private static byte[] StringsAttribute(string name, IEnumerable<string> values) => Message(o =>
    {
        String(o, 1, name);
        foreach (string v in values) String(o, 9, v);
        Int(o, 20, AttributeStrings);
    });

    // AttributeProto: name = 1, f = 2, i = 3, type = 20
    private static byte[] IntAttribute(string name, long value) => Message(o =>
    {
        String(o, 1, name);
        Int(o, 3, value);
        Int(o, 20, AttributeInt);
    });

    private static byte[] FloatAttribute(string name, float value) => Message(o =>
    {
        String(o, 1, name);
        o.WriteTag(2, WireFormat.WireType.Fixed32);
        o.WriteFloat(value);
        Int(o, 20, AttributeFloat);
    });

    // ValueInfoProto { name = 1, type = 2: TypeProto { tensor_type = 1: { elem_type = 1, shape = 2: { dim = 1: { dim_value = 1 | dim_param = 2 } } } } }
    private static byte[] ValueInfo(string name, int columns, int elementType = FloatType) => Message(o =>
    {
        String(o, 1, name);
        byte[] shape = Message(s =>
        {
            Field(s, 1, Message(d => String(d, 2, "batch")));
            Field(s, 1, Message(d => Int(d, 1, columns)));
        });
        byte[] tensorType = Message(t => { Int(t, 1, elementType); Field(t, 2, shape); });
        Field(o, 2, Message(t => Field(t, 1, tensorType)));
    });

    private static byte[] Message(Action<CodedOutputStream> body)
    {
        using var stream = new MemoryStream();
        using (var output = new CodedOutputStream(stream, leaveOpen: true))
        {
            body(output);
            output.Flush();
        }
        return stream.ToArray();
    }

    private static void Field(CodedOutputStream o, int field, byte[] message)
    {
        o.WriteTag(field, WireFormat.WireType.LengthDelimited);
        o.WriteBytes(ByteString.CopyFrom(message));
    }

    private static void String(CodedOutputStream o, int field, string value)
    {
        o.WriteTag(field, WireFormat.WireType.LengthDelimited);
        o.WriteString(value);
    }

    private static void Int(CodedOutputStream o, int field, long value)
    {
        o.WriteTag(field, WireFormat.WireType.Varint);
        o.WriteInt64(value);
    }
}
