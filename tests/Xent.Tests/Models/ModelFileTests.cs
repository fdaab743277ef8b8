using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Xent.Data;
using Xent.Layers;
using Xent.Models;
using Xent.Training;

namespace Xent.Tests.Models;

public sealed class ModelFileTests() : TemporaryFolderTests("xent-models-")
{
    private static Classifier TrainIris(Activation activation = Activation.Relu, int[]? hidden = null) =>
        Classifier.Train(Iris.Load(), new ClassifierOptions { Hidden = hidden ?? [8], Activation = activation, Trainer = new TrainerOptions { Seed = 3, Epochs = 60 } });

    [Fact]
    public void SaveLoadGivesTheSameModelAndMetrics()
    {
        Classifier model = TrainIris();
        string path = Path.Combine(Folder, "iris.safetensors");
        model.Save(path);
        Classifier loaded = Classifier.Load(path);
        Assert.Equal(model.ClassNames, loaded.ClassNames);
        Assert.Equal(model.FeatureNames, loaded.FeatureNames);
        Assert.Equal(model.Standardizer!.Mean, loaded.Standardizer!.Mean);
        Assert.Equal(model.Network.ToString(), loaded.Network.ToString());
        for (int i = 0; i < model.Network.Parameters.Count; i++) Assert.Equal(model.Network.Parameters[i].Value, loaded.Network.Parameters[i].Value);
        Dataset iris = Iris.Load();
        ClassificationMetrics a = model.Evaluate(iris), b = loaded.Evaluate(iris);
        Assert.Equal(a.Accuracy, b.Accuracy);
        Assert.Equal(a.LogLoss, b.LogLoss);
        Assert.Equal(a.ConfusionMatrix, b.ConfusionMatrix);
        Assert.Equal(model.Predict(iris.Row(120)), loaded.Predict(iris.Row(120)));
        Assert.Equal(32, loaded.Options.Trainer.BatchSize);
    }

    [Fact]
    public void AnIndependentReaderParsesTheFile()
    {
        Classifier model = TrainIris();
        string path = Path.Combine(Folder, "m.safetensors");
        model.Save(path);
        byte[] bytes = File.ReadAllBytes(path);
        // Parse the format by hand: u64 little-endian header length, JSON header, raw little-endian F32 data.
        long headerLength = (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0, (8 + headerLength) % 8);
        using JsonDocument header = JsonDocument.Parse(Encoding.UTF8.GetString(bytes, 8, (int)headerLength));
        JsonElement meta = header.RootElement.GetProperty("__metadata__");
        Assert.Equal("xent-classifier", meta.GetProperty("format").GetString());
        foreach (string key in new[] { "architecture", "features", "classes", "standardization", "training", "xent_version" })
            Assert.Equal(JsonValueKind.String, meta.GetProperty(key).ValueKind);
        Assert.Contains("setosa", meta.GetProperty("classes").GetString());
        long dataStart = 8 + headerLength;
        foreach (Parameter p in model.Network.Parameters)
        {
            JsonElement t = header.RootElement.GetProperty(p.Name);
            Assert.Equal("F32", t.GetProperty("dtype").GetString());
            Assert.Equal(p.Shape, t.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()));
            long begin = t.GetProperty("data_offsets")[0].GetInt64(), end = t.GetProperty("data_offsets")[1].GetInt64();
            Assert.Equal(p.Length * 4, end - begin);
            for (int i = 0; i < p.Length; i++)
                Assert.Equal(p.Value[i], BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan((int)(dataStart + begin + 4 * i), 4)));
        }
    }

    [Theory]
    [InlineData(Activation.Relu)]
    [InlineData(Activation.LeakyRelu)]
    [InlineData(Activation.Softplus)]
    [InlineData(Activation.Sigmoid)]
    [InlineData(Activation.Tanh)]
    [InlineData(Activation.Identity)]
    public void OnnxRuntimeGivesTheSameProbabilities(Activation activation)
    {
        AssertOnnxRuntimeAgrees(TrainIris(activation, [8, 5]), $"{activation}: ONNX Runtime probabilities");
    }

    // The exported file, run by ONNX Runtime on all of Iris, gives the model's own probabilities.
    private void AssertOnnxRuntimeAgrees(Classifier model, string context)
    {
        string path = PathOf("m.onnx");
        OnnxExport.Save(model, path);
        Dataset iris = Iris.Load();
        var expected = new float[iris.RowCount * 3];
        model.PredictProbabilities(iris.Features, iris.RowCount, expected);
        using var session = new InferenceSession(path);
        var input = new DenseTensor<float>(iris.Features, [iris.RowCount, 4]);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor("features", input)]);
        float[] actual = results.Single(r => r.Name == "probabilities").AsEnumerable<float>().ToArray();
        Numerical.AssertClose(expected, actual, 1e-5, 1e-5, context);
    }

    [Fact]
    public void OnnxExportWithoutStandardizationOrHiddenLayers()
    {
        Classifier model = Classifier.Train(Iris.Load(), new ClassifierOptions { Hidden = [], Standardize = false, Trainer = new TrainerOptions { Epochs = 20 } });
        AssertOnnxRuntimeAgrees(model, "linear model without standardisation");
    }

    public static TheoryData<string, string> CorruptFiles() => new()
    {
        { "empty", "too short" },
        { "truncated-data", "truncated" },
        { "truncated-header", "truncated" },
        { "huge-header-length", "more than the" },
        { "not-json", "not valid JSON" },
        { "wrong-dtype", "dtype F16" },
        { "offsets-outside", "claims bytes" },
        { "overlapping", "overlapping or a gap" },
        { "trailing-bytes", "after the last tensor" },
        { "shape-mismatch", "needs" },
        { "missing-tensor", "is missing" },
        { "extra-tensor", "unexpected tensor" },
        { "nan-weight", "NaN or infinite" },
        { "wrong-format", "is not 'xent-classifier'" },
        { "bad-architecture", "inconsistent sizes" },
        { "unknown-activation", "unknown activation" },
        { "bad-standardization", "one mean and deviation per feature" },
        { "metadata-not-string", "is not a string" },
    };

    [Theory]
    [MemberData(nameof(CorruptFiles))]
    public void CorruptTruncatedAndHostileFilesAreRejectedClearly(string kind, string message)
    {
        string good = Path.Combine(Folder, "good.safetensors");
        TrainIris().Save(good);
        string bad = Path.Combine(Folder, kind + ".safetensors");
        File.WriteAllBytes(bad, Corrupt(File.ReadAllBytes(good), kind));
        var e = Assert.Throws<ModelFileException>(() => Classifier.Load(bad));
        Assert.Contains(message, e.Message);
        Assert.Contains(kind + ".safetensors", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    // Rewrites a valid file's header (JSON) or bytes to make one kind of damage.
    internal static byte[] Corrupt(byte[] good, string kind)
    {
        int headerLength = (int)BinaryPrimitives.ReadUInt64LittleEndian(good);
        string header = Encoding.UTF8.GetString(good, 8, headerLength);
        byte[] data = good[(8 + headerLength)..];
        byte[] Rebuild(string h, byte[] d)
        {
            byte[] hb = Encoding.UTF8.GetBytes(h);
            var result = new byte[8 + hb.Length + d.Length];
            BinaryPrimitives.WriteUInt64LittleEndian(result, (ulong)hb.Length);
            hb.CopyTo(result, 8);
            d.CopyTo(result, 8 + hb.Length);
            return result;
        }
        string Edit(Func<System.Text.Json.Nodes.JsonObject, System.Text.Json.Nodes.JsonObject> f) =>
            f(System.Text.Json.Nodes.JsonNode.Parse(header)!.AsObject()).ToJsonString();
        System.Text.Json.Nodes.JsonObject Meta(System.Text.Json.Nodes.JsonObject o) => o["__metadata__"]!.AsObject();
        switch (kind)
        {
            case "empty": return [];
            case "truncated-data": return good[..(good.Length - 10)];
            case "truncated-header": return good[..(8 + headerLength / 2)];
            case "huge-header-length": { byte[] b = (byte[])good.Clone(); BinaryPrimitives.WriteUInt64LittleEndian(b, ulong.MaxValue / 2); return b; }
            case "not-json": return Rebuild("{\"a\": [1, 2", data);
            case "wrong-dtype": return Rebuild(header.Replace("\"F32\"", "\"F16\""), data);
            case "offsets-outside": return Rebuild(Edit(o => { o["output.bias"]!["data_offsets"] = new System.Text.Json.Nodes.JsonArray(0, 100000); return o; }), data);
            case "overlapping": return Rebuild(Edit(o => { o["output.bias"]!["data_offsets"] = new System.Text.Json.Nodes.JsonArray(0, 12); return o; }), data);
            case "trailing-bytes": return Rebuild(header, [.. data, 1, 2, 3, 4]);
            case "shape-mismatch": return Rebuild(Edit(o => { o["output.bias"]!["shape"] = new System.Text.Json.Nodes.JsonArray(4); return o; }), data);
            case "missing-tensor": return Rebuild(Edit(o => { o.Remove("output.bias"); return o; }), data[..^12]);
            case "extra-tensor":
            {
                long end = data.Length;
                return Rebuild(Edit(o => { o["evil"] = System.Text.Json.Nodes.JsonNode.Parse($"{{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[{end},{end + 4}]}}"); return o; }), [.. data, 0, 0, 0, 0]);
            }
            case "nan-weight":
            {
                byte[] d = (byte[])data.Clone();
                BinaryPrimitives.WriteSingleLittleEndian(d, float.NaN);
                return Rebuild(header, d);
            }
            case "wrong-format": return Rebuild(Edit(o => { Meta(o)["format"] = "pickle"; return o; }), data);
            case "bad-architecture": return Rebuild(Edit(o => { Meta(o)["architecture"] = "{\"inputs\":4,\"layers\":[{\"name\":\"hidden1\",\"inputs\":5,\"outputs\":8,\"activation\":\"relu\"}]}"; return o; }), data);
            case "unknown-activation": return Rebuild(Edit(o => { Meta(o)["architecture"] = Meta(o)["architecture"]!.GetValue<string>().Replace("relu", "os.system"); return o; }), data);
            case "bad-standardization": return Rebuild(Edit(o => { Meta(o)["standardization"] = "{\"mean\":[1],\"deviation\":[1]}"; return o; }), data);
            case "metadata-not-string": return Rebuild(Edit(o => { Meta(o)["classes"] = new System.Text.Json.Nodes.JsonArray("a"); return o; }), data);
            default: throw new ArgumentException(kind);
        }
    }
}
