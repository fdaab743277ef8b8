using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Xent.Data;
using Xent.Models;
using Xent.Training;

namespace Xent.Tests;

/// <summary>
/// The public surface is deliberate: the list of public types is written down here, every public member has its XML
/// documentation, the library's messages speak in library terms (never a command-line flag), and its JSON goes through
/// the source-generated context with the conventions files were always written in.
/// </summary>
public partial class PublicSurfaceTests
{
    private static readonly Assembly Library = typeof(Classifier).Assembly;

    // Adding a public type is a decision: add it here and say why in the commit. Implementation helpers (kernels, the
    // generator, safetensors, atomic writes, the row cache, number parsing) are internal.
    private static readonly string[] PublicTypes =
    [
        "Xent.Activation", "Xent.BatchReport", "Xent.ClassMetrics", "Xent.ClassificationMetrics", "Xent.Classifier",
        "Xent.Classifier+TrainingHooks", "Xent.ClassifierOptions", "Xent.ColumnKind", "Xent.EpochReport", "Xent.MissingValues",
        "Xent.ModelFileException", "Xent.MonitorKind", "Xent.OnnxExport", "Xent.OptimizerKind", "Xent.Reduction",
        "Xent.ScheduleKind", "Xent.SharedSplit", "Xent.StopReason", "Xent.StreamedTraining", "Xent.TrainerOptions", "Xent.TrainingResult",
        "Xent.Data.ColumnEncoding", "Xent.Data.CsvData", "Xent.Data.CsvOptions", "Xent.Data.CsvTable", "Xent.Data.DataFormatException",
        "Xent.Data.DataSource", "Xent.Data.Dataset", "Xent.Data.EncodingReport", "Xent.Data.FeatureColumn", "Xent.Data.Iris",
        "Xent.Data.ShardFormat", "Xent.Data.Split", "Xent.Data.Standardizer", "Xent.Data.StreamingData", "Xent.Data.StreamingPassReport", "Xent.Data.Table", "Xent.Data.TableEncoder",
        "Xent.Distributed.ICollectives", "Xent.Distributed.OpenMpi", "Xent.Distributed.RowShare", "Xent.Distributed.SingleProcess",
        "Xent.Explain.ChainFactor", "Xent.Explain.ChainRule", "Xent.Explain.ChainRuleSample", "Xent.Explain.ExampleSample",
        "Xent.Explain.ParameterLocation", "Xent.Explain.WorkedExample", "Xent.Explain.WorkedExample+DescentResult",
        "Xent.Explain.WorkedExample+DescentStep", "Xent.Explain.WorkedExample+SampleForward",
        "Xent.Layers.Dense", "Xent.Layers.Network", "Xent.Layers.Parameter",
        "Xent.Losses.BinaryCrossEntropyWithLogits", "Xent.Losses.CrossEntropyOptions", "Xent.Losses.IClassificationLoss",
        "Xent.Losses.SoftmaxCrossEntropy", "Xent.Losses.SoftmaxSquaredError",
        "Xent.Models.Checkpoint", "Xent.Models.ModelFile", "Xent.Numerics.Softmax",
        "Xent.Optimizers.Adam", "Xent.Optimizers.IOptimizer", "Xent.Optimizers.LearningRateSchedule", "Xent.Optimizers.Sgd",
        "Xent.Training.ClassWeighting", "Xent.Training.Evaluation", "Xent.Training.StepResult", "Xent.Training.Trainer",
        "Xent.Training.TrainingShare", "Xent.Training.TrainingState",
    ];

    [Fact]
    public void ThePublicTypesAreTheReviewedList()
    {
        string[] actual = Library.GetExportedTypes().Select(t => t.FullName!).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(PublicTypes.Order(StringComparer.Ordinal), actual);
    }

    [Fact]
    public void EveryOptionEnumIsInTheRootNamespace()
    {
        Type[] optionRecords = [typeof(ClassifierOptions), typeof(TrainerOptions), typeof(CsvOptions), typeof(Xent.Losses.CrossEntropyOptions)];
        IEnumerable<Type> enums = optionRecords.SelectMany(t => t.GetProperties()).Select(p => Nullable.GetUnderlyingType(p.PropertyType) ?? p.PropertyType)
            .Select(t => t.IsArray ? t.GetElementType()! : t).Where(t => t.IsEnum).Distinct();
        Assert.NotEmpty(enums);
        Assert.All(enums, e => Assert.Equal("Xent", e.Namespace));
    }

    private static XDocument Documentation() =>
        XDocument.Load(Path.Combine(Path.GetDirectoryName(Library.Location)!, Path.GetFileNameWithoutExtension(Library.Location) + ".xml"));

    // The documentation file's member id of a method or constructor: M:Namespace.Type.Name(Param.Type,...).
    private static string IdOf(MethodBase method)
    {
        static string TypeName(Type t)
        {
            if (t.IsByRef) return TypeName(t.GetElementType()!) + "@";
            if (t.IsArray) return TypeName(t.GetElementType()!) + (t.GetArrayRank() == 1 ? "[]" : "[" + string.Join(",", Enumerable.Repeat("0:", t.GetArrayRank())) + "]");
            if (t.IsGenericParameter) return (t.DeclaringMethod is null ? "`" : "``") + t.GenericParameterPosition;
            if (t.IsGenericType)
            {
                string name = t.GetGenericTypeDefinition().FullName!;
                return name[..name.IndexOf('`')].Replace('+', '.') + "{" + string.Join(",", t.GetGenericArguments().Select(TypeName)) + "}";
            }
            return t.FullName!.Replace('+', '.');
        }
        string type = method.DeclaringType!.FullName!.Replace('+', '.');
        string name = method.IsConstructor ? "#ctor" : method.Name + (method.IsGenericMethod ? "``" + method.GetGenericArguments().Length : "");
        ParameterInfo[] parameters = method.GetParameters();
        return $"M:{type}.{name}" + (parameters.Length == 0 ? "" : "(" + string.Join(",", parameters.Select(p => TypeName(p.ParameterType))) + ")");
    }

    [Fact]
    public void EveryPublicMethodDocumentsItsParametersAndResult()
    {
        Dictionary<string, XElement> members = Documentation().Descendants("member").ToDictionary(m => (string)m.Attribute("name")!);
        var missing = new List<string>();
        foreach (Type type in Library.GetExportedTypes().Where(t => !t.IsEnum && !t.IsSubclassOf(typeof(Delegate))))
        {
            bool record = type.GetMethod("<Clone>$") is not null || type.GetMethod("PrintMembers", BindingFlags.NonPublic | BindingFlags.Instance) is not null;
            IEnumerable<MethodBase> methods = type.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly)
                .Where(m => !m.IsSpecialName && m.GetCustomAttribute<System.Runtime.CompilerServices.CompilerGeneratedAttribute>() is null)
                .Where(m => !(m.Name is "Equals" or "GetHashCode" or "ToString" or "Deconstruct" or "<Clone>$") || !record)
                .Where(m => m.Name is not ("Equals" or "GetHashCode") || m.GetParameters().Length <= 1 && !record)
                .Cast<MethodBase>()
                .Concat(type.GetConstructors().Where(c => !(record && c.GetParameters() is [{ } p] && p.ParameterType == type)));
            foreach (MethodBase method in methods)
            {
                string id = IdOf(method);
                if (!members.TryGetValue(id, out XElement? doc))
                {
                    // A positional record's primary constructor is documented by the type's <param> tags.
                    if (record && method.IsConstructor && members.TryGetValue("T:" + type.FullName!.Replace('+', '.'), out XElement? typeDoc)
                        && method.GetParameters().All(p => typeDoc.Elements("param").Any(e => (string?)e.Attribute("name") == p.Name))) continue;
                    missing.Add($"{id}: no documentation");
                    continue;
                }
                if (doc.Element("inheritdoc") is not null) continue;
                if (doc.Element("summary") is null) missing.Add($"{id}: no <summary>");
                foreach (ParameterInfo p in method.GetParameters())
                    if (!doc.Elements("param").Any(e => (string?)e.Attribute("name") == p.Name)) missing.Add($"{id}: no <param name=\"{p.Name}\">");
                if (method is MethodInfo { ReturnType: var r } && r != typeof(void) && doc.Element("returns") is null && !method.Name.StartsWith("Try", StringComparison.Ordinal))
                    missing.Add($"{id}: no <returns>");
            }
        }
        Assert.True(missing.Count == 0, $"{missing.Count} gaps:\n" + string.Join("\n", missing));
    }

    [GeneratedRegex("\"(?:[^\"\\\\\\n]|\\\\.)*\"")]
    private static partial Regex StringLiteral();

    [Fact]
    public void LibraryMessagesNameNoCommandLineFlag()
    {
        string source = ReadmeExampleTests.RepositoryFile(Path.Combine("src", "Xent"));
        var found = new List<string>();
        foreach (string file in Directory.EnumerateFiles(source, "*.cs", SearchOption.AllDirectories))
        {
            if (file.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)) continue;
            string[] lines = File.ReadAllLines(file);
            for (int i = 0; i < lines.Length; i++)
            {
                string code = lines[i].TrimStart();
                if (code.StartsWith("//", StringComparison.Ordinal)) continue;
                foreach (Match literal in StringLiteral().Matches(code))
                    if (Regex.IsMatch(literal.Value, @"--[a-z]")) found.Add($"{Path.GetRelativePath(source, file)}:{i + 1}: {literal.Value}");
            }
        }
        Assert.True(found.Count == 0, "library strings that name a command-line flag:\n" + string.Join("\n", found));
    }

    [Fact]
    public void AReadingErrorNamesTheOptionInLibraryTerms()
    {
        var e = Assert.Throws<DataFormatException>(() => CsvData.ReadTable(new StringReader("a,b,label\n1,2,x\n3,4,y\n"), "t.csv", new CsvOptions { Ignore = ["zz"] }));
        Assert.StartsWith("t.csv: CsvOptions.Ignore names the column 'zz'", e.Message);
    }

    // The options every file was written with before the JSON became source-generated, used here by reflection to check
    // that the generated code writes the same text.
    private static readonly JsonSerializerOptions ReflectionOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    [Fact]
    public void ModelAndCheckpointJsonRoundTripsThroughTheGeneratedContext()
    {
        var options = new ClassifierOptions
        {
            Hidden = [8, 4],
            Activation = Activation.LeakyRelu,
            Missing = MissingValues.Error,
            Trainer = new TrainerOptions { Optimizer = OptimizerKind.AdamW, Schedule = ScheduleKind.ReduceOnPlateau, Monitor = MonitorKind.ValidationAccuracy, Seed = 3 },
        };
        string json = JsonSerializer.Serialize(options, ModelJson.Files.ClassifierOptions);
        Assert.Equal(JsonSerializer.Serialize(options, ReflectionOptions), json);
        Assert.Contains("\"activation\":\"leakyRelu\"", json, StringComparison.Ordinal);
        ClassifierOptions back = JsonSerializer.Deserialize(json, ModelJson.Files.ClassifierOptions)!;
        Assert.Equal(json, JsonSerializer.Serialize(back, ModelJson.Files.ClassifierOptions));

        var state = new TrainingState
        {
            Epoch = 4,
            RandomState = [1, 2, ulong.MaxValue, 4],
            BatchStart = 32,
            EpochLossSum = 1.5,
            LearningRate = 0.01f,
            PlateauBest = double.PositiveInfinity,
            Best = double.NaN,
            LossHistory = [1.2, 0.9, double.NaN],
            OptimizerState = [("m", [1f])],
        };
        string stateJson = JsonSerializer.Serialize(state, ModelJson.Files.TrainingState);
        Assert.Equal(JsonSerializer.Serialize(state, ReflectionOptions), stateJson);
        Assert.DoesNotContain("optimizerState", stateJson, StringComparison.Ordinal);
        TrainingState stateBack = JsonSerializer.Deserialize(stateJson, ModelJson.Files.TrainingState)!;
        Assert.Equal(stateJson, JsonSerializer.Serialize(stateBack, ModelJson.Files.TrainingState));
        Assert.Equal(ulong.MaxValue, stateBack.RandomState[2]);
        Assert.True(double.IsNaN(stateBack.Best));

        Classifier model = Classifier.Train(Iris.Load(), new ClassifierOptions { Hidden = [4], Trainer = new TrainerOptions { Epochs = 3, Seed = 1 } });
        string history = JsonSerializer.Serialize(model.TrainingResult!, ModelJson.Files.TrainingResult);
        Assert.Equal(JsonSerializer.Serialize(model.TrainingResult!, ReflectionOptions), history);
        Assert.Equal(history, JsonSerializer.Serialize(JsonSerializer.Deserialize(history, ModelJson.Files.TrainingResult)!, ModelJson.Files.TrainingResult));
        Assert.Contains("\"stopReason\":\"maxEpochs\"", history, StringComparison.Ordinal);
    }
}
