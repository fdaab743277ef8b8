using System.CommandLine;
using Xent.Models;

namespace Xent.Cli.Commands;

/// <summary><c>xent export-onnx</c>: writes a saved model as a standard ONNX graph that ONNX Runtime and other tools run.</summary>
internal static class ExportOnnxCommand
{
    public static readonly Option<string> Model = CommonOptions.Model();
    public static readonly Option<string?> Out = CommonOptions.Out("The .onnx file to write", required: true);
    public static readonly Option<bool> Force = CommonOptions.Force();
    public static readonly Option<bool> Json = CommonOptions.Json("{\"model\", \"onnx\", \"inputs\", \"outputs\", \"bytes\"}");

    public static Command Create(CliConsole console)
    {
        var command = new Command("export-onnx", "Export a saved model to ONNX: standardisation (Sub, Div), Gemm layers with their activations, and Softmax; input 'features', outputs 'logits' and 'probabilities'.");
        foreach (Option o in new Option[] { Model, Out, Force, Json }) command.Options.Add(o);
        command.SetAction(parse => Run(parse, console));
        return command;
    }

    private static int Run(ParseResult parse, CliConsole console)
    {
        var output = parse.OutputFile(Out, Force)!.Value;
        using OutputLock owned = output.Lock;
        string outPath = output.Path;
        Classifier model = Classifier.Load(FilePaths.Input(parse.GetValue(Model), Model.Name));
        try { OnnxExport.Save(model, outPath, overwrite: parse.GetValue(Force)); }
        catch (NotSupportedException e) { throw new UserError($"{parse.GetValue(Model)}: cannot export: {e.Message}"); }
        var inputs = OnnxExport.Inputs(model);
        long bytes = new FileInfo(outPath).Length;
        if (parse.GetValue(Json))
            console.Out.WriteLine(JsonOutput.Write(w =>
            {
                w.WriteStartObject();
                w.WriteString("model", Path.GetFullPath(parse.GetValue(Model)!));
                w.WriteString("onnx", Path.GetFullPath(outPath));
                w.WriteStartArray("inputs");
                foreach ((string name, _, _) in inputs) w.WriteStringValue(name);
                w.WriteEndArray();
                w.WriteStartArray("outputs"); w.WriteStringValue("logits"); w.WriteStringValue("probabilities"); w.WriteEndArray();
                w.WriteNumber("bytes", bytes);
                w.WriteEndObject();
            }));
        else
        {
            string described = string.Join(", ", inputs.Select(i => $"'{i.Name}' [batch, {i.Width}] {i.Type}"));
            console.Line($"Wrote {outPath} ({bytes} bytes): input{(inputs.Count == 1 ? "" : "s")} {described}; outputs 'logits' and 'probabilities' [batch, {model.Network.ClassCount}].");
        }
        return 0;
    }
}
