using System.Buffers.Binary;
using Google.Protobuf;
using Xent.Layers;

namespace Xent.Models;

/// <summary>
/// Writes a <see cref="Classifier"/> as a standard ONNX model (IR version 8, opset 13): input <c>features</c> [batch, F]
/// float; the standardisation as Sub and Div; each layer as Gemm (W stored [outputs, inputs], transB = 1) followed by its
/// activation (Relu, LeakyRelu with α = 0.01, Softplus, Sigmoid, Tanh); Softmax over the classes; outputs <c>logits</c> and
/// <c>probabilities</c> [batch, C]. The protobuf messages are encoded field by field with Google.Protobuf, using the field
/// numbers of the ONNX specification (onnx.proto).
/// </summary>
public static class OnnxExport
{
    private const int FloatType = 1;       // TensorProto.DataType.FLOAT
    private const int AttributeFloat = 1;  // AttributeProto.AttributeType.FLOAT
    private const int AttributeInt = 2;    // AttributeProto.AttributeType.INT

    public static void Save(Classifier model, string path, bool overwrite = true) => AtomicFile.Write(path, stream => stream.Write(ToBytes(model)), overwrite);

    public static byte[] ToBytes(Classifier model)
    {
        var nodes = new List<byte[]>();
        var initializers = new List<byte[]>();
        string current = "features";
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
            initializers.Add(TensorProto(layer.Weight.Name, layer.Weight.Shape, layer.Weight.Value));
            initializers.Add(TensorProto(layer.Bias.Name, layer.Bias.Shape, layer.Bias.Value));
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
            Field(o, 11, ValueInfo("features", model.Network.InputCount));
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
        });
    }

    // TensorProto: dims = 1, data_type = 2, name = 8, raw_data = 9
    private static byte[] TensorProto(string name, int[] shape, float[] values) => Message(o =>
    {
        foreach (int d in shape) Int(o, 1, d);
        Int(o, 2, FloatType);
        String(o, 8, name);
        var raw = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(raw.AsSpan(i * 4), values[i]);
        o.WriteTag(9, WireFormat.WireType.LengthDelimited);
        o.WriteBytes(ByteString.CopyFrom(raw));
    });

    // NodeProto: input = 1, output = 2, name = 3, op_type = 4, attribute = 5
    private static byte[] Node(string op, string[] inputs, string[] outputs, string name, params byte[][] attributes) => Message(o =>
    {
        foreach (string i in inputs) String(o, 1, i);
        foreach (string x in outputs) String(o, 2, x);
        String(o, 3, name);
        String(o, 4, op);
        foreach (byte[] a in attributes) Field(o, 5, a);
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
    private static byte[] ValueInfo(string name, int columns) => Message(o =>
    {
        String(o, 1, name);
        byte[] shape = Message(s =>
        {
            Field(s, 1, Message(d => String(d, 2, "batch")));
            Field(s, 1, Message(d => Int(d, 1, columns)));
        });
        byte[] tensorType = Message(t => { Int(t, 1, FloatType); Field(t, 2, shape); });
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
