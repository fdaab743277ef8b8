using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Spectre.Console;
using Xent.Cli.Html;
using Xent.Explain;
using Xent.Models;

namespace Xent.Cli.Commands;

/// <summary>
/// <c>xent explain</c>: the worked Iris example step by step — forward pass, cross entropy against the squared residual,
/// the chain rule for one parameter, and gradient descent on it — with the library's own numbers.
/// </summary>
internal static class ExplainCommand
{
    private static readonly string ParameterList = string.Join(", ", WorkedExample.Defaults.Select(d => d.Name));

    public static readonly Option<string> Parameter = new("--parameter")
    {
        Description = $"Which of the 15 parameters to differentiate and optimise: {ParameterList}. " +
            "w1, w2, b1 feed the upper hidden node; w3, w4, b2 the lower one; w5, w6, b3 the setosa output; w7, w8, b4 versicolor; w9, w10, b5 virginica",
        DefaultValueFactory = _ => "b3",
    };

    public static readonly Option<double> Start = new("--start") { Description = "The value gradient descent starts the parameter from (the other 14 stay at their walkthrough values)", DefaultValueFactory = _ => -2.0 };
    public static readonly Option<double> LearningRate = new("--learning-rate") { Description = "How far each step moves: step size = derivative × learning rate; too large overshoots, too small crawls", DefaultValueFactory = _ => 1.0 };
    public static readonly Option<double> Tolerance = new("--tolerance") { Description = "Stop when the step size falls below this (the slope is nearly flat: a minimum)", DefaultValueFactory = _ => 0.001 };
    public static readonly Option<int> MaxSteps = new("--max-steps") { Description = "Stop after this many steps even if the step size is still large", DefaultValueFactory = _ => 1000 };
    public static readonly Option<string?> PlotDir = new("--plot") { Description = "Write two plots (PNG and SVG) into this folder: the total cross entropy against the parameter with the descent steps, and −ln p against (1 − p)² with each sample's tangent" };

    public static readonly Option<string?> Html = new("--html")
    {
        Description = "Write one self-contained interactive HTML page of the walkthrough to this file: the network, cross entropy against the squared residual, " +
            "the chain rule and gradient descent, with sliders; it loads nothing from the network and works offline",
    };

    public static readonly Option<bool> Force = new("--force") { Description = "Overwrite an existing --html file or --plot files" };

    public static readonly Option<bool> Json = CommonOptions.Json("every number of the explanation");

    static ExplainCommand()
    {
        Parameter.Check(v => WorkedExample.Locations.ContainsKey(v ?? "") ? null : $"must be one of {ParameterList}; got '{v}'");
        Start.Check(v => double.IsFinite(v) ? null : "must be a finite number");
        LearningRate.Check(v => v > 0 && double.IsFinite(v) ? null : $"must be a positive number, got {v.ToString(CultureInfo.InvariantCulture)}");
        Tolerance.Check(v => v > 0 && double.IsFinite(v) ? null : $"must be a positive number, got {v.ToString(CultureInfo.InvariantCulture)}");
        MaxSteps.MustBePositive();
    }

    public static Command Create(CliConsole console)
    {
        var command = new Command("explain", "Walk through the classic Iris example by hand: the forward pass and softmax, cross entropy against the squared residual, the chain rule for one parameter, and gradient descent on it.");
        foreach (Option o in new Option[] { Parameter, Start, LearningRate, Tolerance, MaxSteps, PlotDir, Html, Force, Json }) command.Options.Add(o);
        command.SetAction(parse => Run(parse, console));
        return command;
    }

    private static string F(double v) => v.ToString("0.####", CultureInfo.InvariantCulture);

    private static int Run(ParseResult parse, CliConsole console)
    {
        string name = WorkedExample.Locate(parse.GetValue(Parameter)!).Name;
        string? htmlPath = parse.GetValue(Html) is { } html ? FilePaths.Output(html, Html.Name, parse.GetValue(Force)) : null;
        using OutputLock? owned = htmlPath is null ? null : OutputLock.Acquire(htmlPath, Html.Name);
        string? plotDir = parse.GetValue(PlotDir);
        if (plotDir is not null) PlotFiles.CheckFolder(plotDir, ExplainPlots.Names(WorkedExample.Locate(parse.GetValue(Parameter)!).Name), parse.GetValue(Force));
        var example = new WorkedExample();
        IReadOnlyList<WorkedExample.SampleForward> forward = example.Forward();
        double total = forward.Sum(f => f.CrossEntropy);
        double derivative = example.Derivative(name);
        double numeric = example.NumericDerivative(name);
        ChainRuleSample[] chains = Enumerable.Range(0, forward.Count).Select(i => ChainRule.For(example, name, i)).ToArray();
        WorkedExample.DescentResult descent = example.Descend(name, parse.GetValue(Start), parse.GetValue(LearningRate), parse.GetValue(Tolerance), parse.GetValue(MaxSteps));
        IReadOnlyList<string>? plots = plotDir is not null ? ExplainPlots.Write(plotDir, example, name, forward, descent) : null;
        if (htmlPath is not null)
        {
            string page = ExplainPage.Render(new ExplainPage.Input(example, name, forward, total, derivative, numeric, chains, descent, parse.GetValue(Tolerance), parse.GetValue(MaxSteps)));
            AtomicFile.WriteAllText(htmlPath, page, overwrite: parse.GetValue(Force));
        }

        if (parse.GetValue(Json))
        {
            console.Out.WriteLine(JsonOutput.Write(w => WriteJson(w, name, forward, chains, total, derivative, numeric, descent)));
            return 0;
        }

        IAnsiConsole o = console.Ansi;
        o.MarkupLine("[bold]The network[/] (fixed, as in the walkthrough)");
        o.WriteLine($"  upper = ReLU(w1·petal + w2·sepal + b1)    w1 = {F(example.Get("w1"))}, w2 = {F(example.Get("w2"))}, b1 = {F(example.Get("b1"))}");
        o.WriteLine($"  lower = ReLU(w3·petal + w4·sepal + b2)    w3 = {F(example.Get("w3"))}, w4 = {F(example.Get("w4"))}, b2 = {F(example.Get("b2"))}");
        o.WriteLine($"  raw setosa     = w5·upper + w6·lower + b3    w5 = {F(example.Get("w5"))}, w6 = {F(example.Get("w6"))}, b3 = {F(example.Get("b3"))}");
        o.WriteLine($"  raw versicolor = w7·upper + w8·lower + b4    w7 = {F(example.Get("w7"))}, w8 = {F(example.Get("w8"))}, b4 = {F(example.Get("b4"))}");
        o.WriteLine($"  raw virginica  = w9·upper + w10·lower + b5   w9 = {F(example.Get("w9"))}, w10 = {F(example.Get("w10"))}, b5 = {F(example.Get("b5"))}");
        o.WriteLine($"  then softmax: p(class) = e^raw(class) / Σ e^raw.   As a Xent network: {example.Network}");
        o.WriteLine();

        o.MarkupLine("[bold]1. Forward pass[/]");
        var t1 = new Table().AddColumn("");
        foreach (var f in forward) t1.AddColumn(new TableColumn($"sample {t1.Columns.Count}: {WorkedExample.Species[f.Sample.Species]}").RightAligned());
        void Row(string label, Func<WorkedExample.SampleForward, double> value) => t1.AddRow([label, .. forward.Select(f => F(value(f)))]);
        Row("petal width", f => f.Sample.PetalWidth);
        Row("sepal width", f => f.Sample.SepalWidth);
        Row("upper = ReLU(…)", f => f.Hidden[0]);
        Row("lower = ReLU(…)", f => f.Hidden[1]);
        for (int k = 0; k < 3; k++) { int c = k; Row($"raw {WorkedExample.Species[c]}", f => f.Raw[c]); }
        for (int k = 0; k < 3; k++) { int c = k; Row($"p({WorkedExample.Species[c]})", f => f.Probabilities[c]); }
        Row("−ln p(observed)", f => f.CrossEntropy);
        o.Write(t1);
        o.WriteLine($"  Observed classes' probabilities: {string.Join(", ", forward.Select(f => f.ObservedProbability.ToString("0.00", CultureInfo.InvariantCulture)))}");
        console.Line($"  Total cross entropy = {string.Join(" + ", forward.Select(f => F(f.CrossEntropy)))} = {F(total)}");
        o.WriteLine();

        o.MarkupLine("[bold]2. Cross entropy against the squared residual[/] (for the observed class's probability p)");
        var t2 = new Table().AddColumns("species", "p", "−ln p", "slope −1/p", "(1 − p)²", "slope −2(1 − p)");
        foreach (var f in forward)
        {
            double p = f.ObservedProbability;
            t2.AddRow(WorkedExample.Species[f.Sample.Species], F(p), F(-Math.Log(p)), F(-1 / p), F((1 - p) * (1 - p)), F(-2 * (1 - p)));
        }
        o.Write(t2);
        o.WriteLine("  When a prediction is bad (p near 0), −ln p shoots up and its slope −1/p grows without bound, while the squared " +
            "residual never exceeds 1 and its slope never exceeds 2 in size. Gradient descent steps by slope × learning rate, so cross " +
            "entropy takes a large step exactly when the network is most wrong, and the squared residual a timid one.");
        o.WriteLine();

        console.Line($"3. The chain rule for {name}");
        foreach (ChainRuleSample c in chains)
        {
            var f = forward[c.Sample];
            o.WriteLine($"  Sample {c.Sample + 1} ({WorkedExample.Species[f.Sample.Species]}): ∂CE/∂{name} = {c.Formula}");
            foreach (ChainFactor factor in c.Factors) o.WriteLine($"      {factor.Name} = {F(factor.Value)}");
            o.WriteLine($"      product = {F(c.Product)}   (backpropagation: {F(c.Backpropagated)})"
                + (c.ClosedForm is { } closed ? $"   closed form {c.ClosedFormText} = {F(closed)}" : ""));
        }
        console.Line($"  Sum over the samples: ∂(total CE)/∂{name} = {string.Join(" + ", chains.Select(c => F(c.Backpropagated)))} = {F(derivative)}");
        o.WriteLine($"  Central finite difference (CE({name} + h) − CE({name} − h)) / 2h with h = 1e-5: {numeric.ToString("0.######", CultureInfo.InvariantCulture)}");
        o.WriteLine();

        console.Line($"4. Gradient descent on {name} from {F(descent.Start)} with learning rate {F(descent.LearningRate)} (every other parameter fixed)");
        o.WriteLine("  step size = derivative × learning rate; new value = value − step size");
        var t4 = new Table().AddColumns("step", name, "total CE", "derivative", "step size", $"new {name}");
        int shown = 0;
        for (int i = 0; i < descent.Steps.Count; i++)
        {
            // Long runs: the first 12 steps and the last 3.
            if (descent.Steps.Count > 15 && i == 12) t4.AddRow("…", "", "", "", "", "");
            if (descent.Steps.Count > 15 && i >= 12 && i < descent.Steps.Count - 3) continue;
            var s = descent.Steps[i];
            bool last = i == descent.Steps.Count - 1;
            t4.AddRow($"{i}", F(s.Value), F(s.TotalCrossEntropy), F(s.Derivative), F(s.StepSize), last ? "(stop)" : F(s.Value - s.StepSize));
            shown++;
        }
        o.Write(t4);
        console.Line($"  Final {name} = {F(descent.Final)} after {descent.Steps.Count - 1} steps: {descent.StopReason}.");
        if (plots is not null) console.Line($"  Plots: {string.Join(", ", plots)}");
        if (htmlPath is not null) console.Line($"  Interactive page: {htmlPath} (open it in any browser; it works offline)");
        return 0;
    }

    private static void WriteJson(Utf8JsonWriter w, string name, IReadOnlyList<WorkedExample.SampleForward> forward, ChainRuleSample[] chains,
        double total, double derivative, double numeric, WorkedExample.DescentResult descent)
    {
        w.WriteStartObject();
        w.WriteString("parameter", name);
        w.WriteStartArray("samples");
        for (int i = 0; i < forward.Count; i++)
        {
            var f = forward[i];
            w.WriteStartObject();
            w.WriteNumber("petalWidth", f.Sample.PetalWidth);
            w.WriteNumber("sepalWidth", f.Sample.SepalWidth);
            w.WriteString("species", WorkedExample.Species[f.Sample.Species]);
            w.WriteStartArray("hidden"); foreach (float v in f.Hidden) w.WriteNumberValue(v); w.WriteEndArray();
            w.WriteStartArray("raw"); foreach (float v in f.Raw) w.WriteNumberValue(v); w.WriteEndArray();
            w.WriteStartObject("probabilities");
            for (int k = 0; k < 3; k++) w.WriteNumber(WorkedExample.Species[k], f.Probabilities[k]);
            w.WriteEndObject();
            JsonOutput.Number(w, "crossEntropy", f.CrossEntropy);
            JsonOutput.Number(w, "squaredResidual", f.SquaredResidual);
            JsonOutput.Number(w, "derivative", chains[i].Backpropagated);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        JsonOutput.Number(w, "totalCrossEntropy", total);
        JsonOutput.Number(w, "derivative", derivative);
        JsonOutput.Number(w, "numericDerivative", numeric);
        w.WriteStartObject("descent");
        JsonOutput.Number(w, "start", descent.Start);
        JsonOutput.Number(w, "learningRate", descent.LearningRate);
        w.WriteStartArray("steps");
        foreach (var s in descent.Steps)
        {
            w.WriteStartObject();
            JsonOutput.Number(w, "value", s.Value);
            JsonOutput.Number(w, "totalCrossEntropy", s.TotalCrossEntropy);
            JsonOutput.Number(w, "derivative", s.Derivative);
            JsonOutput.Number(w, "stepSize", s.StepSize);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        JsonOutput.Number(w, "final", descent.Final);
        w.WriteString("stopReason", descent.StopReason);
        w.WriteEndObject();
        w.WriteEndObject();
    }
}
