using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Spectre.Console;
using Xent.Losses;
using Xent.Numerics;

namespace Xent.Cli.Commands;

/// <summary>
/// <c>xent loss</c>: a calculator for softmax cross entropy. Type raw outputs (logits) and targets; see the softmax
/// probabilities, −ln p of the observed class, each row's loss, the gradient with respect to every logit, and the reduction.
/// </summary>
internal static class LossCommand
{
    public static readonly Option<string> Logits = new("--logits")
    {
        Description = "Raw outputs, values separated by ',' and rows by ';', e.g. \"1.04,0,0.14;0.2,0.5,-1\"",
        Required = true,
    };

    public static readonly Option<string?> Targets = new("--targets")
    {
        Description = "The observed class of each row, separated by ';' (indices from 0, or names given with --classes)",
    };

    public static readonly Option<string?> Probabilities = new("--probabilities")
    {
        Description = "Instead of --targets: target class probabilities per row, like --logits (soft targets)",
    };

    public static readonly Option<string?> Weights = new("--weights")
    {
        Description = "A weight per class, e.g. 0.5,2,1 (PyTorch's weight)",
    };

    public static readonly Option<int> IgnoreIndex = new("--ignore-index")
    {
        Description = "Rows whose target equals this contribute nothing (PyTorch's ignore_index)",
        DefaultValueFactory = _ => -100,
    };

    public static readonly Option<float> LabelSmoothing = new("--label-smoothing")
    {
        Description = "ε in [0, 1]: the target becomes (1 − ε)·onehot + ε/C",
        DefaultValueFactory = _ => 0f,
    };

    public static readonly Option<string> ReductionOption = new("--reduction")
    {
        Description = "How row losses combine: mean (divided by the summed weights of the rows not ignored), sum, or none",
        DefaultValueFactory = _ => "mean",
    };

    public static readonly Option<string?> Classes = new("--classes")
    {
        Description = "Class names, e.g. setosa,versicolor,virginica; then --targets also takes names",
    };

    public static readonly Option<bool> Json = CommonOptions.Json("{\"loss\", \"probabilities\", \"gradient\"}");

    static LossCommand()
    {
        LabelSmoothing.Check(v => v is >= 0 and <= 1 ? null : $"must be in [0, 1], got {v.ToString(CultureInfo.InvariantCulture)}");
        ReductionOption.AcceptOnly(Choices.Reductions);
    }

    public static Command Create(CliConsole console)
    {
        var command = new Command("loss", "Compute softmax probabilities, cross entropy and its gradient for logits you type, with every option PyTorch's CrossEntropyLoss has.");
        foreach (Option option in new Option[] { Logits, Targets, Probabilities, Weights, IgnoreIndex, LabelSmoothing, ReductionOption, Classes, Json })
            command.Options.Add(option);
        command.SetAction(parse => Run(parse, console));
        return command;
    }

    private static int Run(ParseResult parse, CliConsole console)
    {
        float[][] logitRows = ParseMatrix(parse.GetValue(Logits)!, Logits.Name);
        int batch = logitRows.Length, classCount = logitRows[0].Length;
        string[]? classNames = parse.GetValue(Classes) is { } names ? ParseNames(names, classCount) : null;
        float[]? weights = parse.GetValue(Weights) is { } w ? ParseRow(w, Weights.Name, 1) : null;
        if (weights is not null && weights.Length != classCount)
            throw new UserError($"{Weights.Name} has {weights.Length} values but the logits have {classCount} classes; give one weight per class");
        if (weights is not null && weights.Any(v => v < 0))
            throw new UserError($"{Weights.Name} must not be negative");
        Reduction reduction = parse.Value(ReductionOption, Choices.Reductions);
        var options = new CrossEntropyOptions
        {
            Weights = weights,
            IgnoreIndex = parse.GetValue(IgnoreIndex),
            LabelSmoothing = parse.GetValue(LabelSmoothing),
            Reduction = reduction,
        };
        var loss = new SoftmaxCrossEntropy(options);

        string? targetText = parse.GetValue(Targets), probabilityText = parse.GetValue(Probabilities);
        if ((targetText is null) == (probabilityText is null))
            throw new UserError($"give exactly one of {Targets.Name} (class per row) or {Probabilities.Name} (probabilities per row)");

        float[] logits = logitRows.SelectMany(r => r).ToArray();
        var probabilities = new float[logits.Length];
        Softmax.Rows(logits, batch, classCount, probabilities);
        var rowLosses = new float[batch];
        var gradient = new float[logits.Length];
        var rowGradient = new float[logits.Length]; // ∂(row loss)/∂logits, row by row
        double reduced;
        int[]? targets = null;
        float[]? targetProbabilities = null;
        var perRow = new SoftmaxCrossEntropy(options with { Reduction = Reduction.Sum });
        if (targetText is not null)
        {
            targets = ParseTargets(targetText, batch, classCount, classNames, options.IgnoreIndex);
            reduced = loss.Forward(logits, targets, batch, classCount, rowLosses);
            loss.ForwardBackward(logits, targets, batch, classCount, gradient);
            perRow.ForwardBackward(logits, targets, batch, classCount, rowGradient);
        }
        else
        {
            float[][] rows = ParseMatrix(probabilityText!, Probabilities.Name);
            if (rows.Length != batch || rows[0].Length != classCount)
                throw new UserError($"{Probabilities.Name} has {rows.Length} rows of {rows[0].Length} but {Logits.Name} has {batch} rows of {classCount}; give one probability per logit");
            targetProbabilities = rows.SelectMany(r => r).ToArray();
            if (targetProbabilities.Any(v => v < 0 || v > 1))
                throw new UserError($"{Probabilities.Name} values must be in [0, 1]");
            reduced = loss.ForwardProbabilities(logits, targetProbabilities, batch, classCount, rowLosses);
            loss.ForwardBackwardProbabilities(logits, targetProbabilities, batch, classCount, gradient);
            perRow.ForwardBackwardProbabilities(logits, targetProbabilities, batch, classCount, rowGradient);
        }

        if (parse.GetValue(Json))
        {
            WriteJson(console, reduction, reduced, rowLosses, probabilities, gradient, batch, classCount);
            return 0;
        }

        string ClassLabel(int c) => classNames is null ? c.ToString(CultureInfo.InvariantCulture) : $"{c} ({classNames[c]})";
        for (int n = 0; n < batch; n++)
        {
            ReadOnlySpan<float> x = logits.AsSpan(n * classCount, classCount);
            double expSum = 0;
            double max = x.ToArray().Max();
            foreach (float v in x) expSum += Math.Exp(v - max);
            string header = targets is not null
                ? targets[n] == options.IgnoreIndex ? $"Row {n + 1}: ignored (target = ignore index {options.IgnoreIndex})" : $"Row {n + 1}: observed class {ClassLabel(targets[n])}"
                : $"Row {n + 1}: target probabilities {string.Join(", ", targetProbabilities!.Skip(n * classCount).Take(classCount).Select(v => F(v)))}";
            console.Ansi.MarkupLine($"[bold]{Markup.Escape(header)}[/]");
            var table = new Table().AddColumn("class").AddColumn(new TableColumn("logit x").RightAligned())
                .AddColumn(new TableColumn("e^(x − max)").RightAligned()).AddColumn(new TableColumn("p = softmax").RightAligned())
                .AddColumn(new TableColumn("∂(row loss)/∂x").RightAligned());
            for (int c = 0; c < classCount; c++)
                table.AddRow(Markup.Escape(ClassLabel(c)), F(x[c]), F(Math.Exp(x[c] - max)), F(probabilities[n * classCount + c]), F(rowGradient[n * classCount + c]));
            console.Ansi.Write(table);
            console.Ansi.WriteLine($"  softmax: p = e^(x − max) / {F(expSum)}, the row maximum {F(max)} subtracted so that e^x cannot overflow");
            if (targets is not null && targets[n] != options.IgnoreIndex)
            {
                int y = targets[n];
                double p = probabilities[n * classCount + y];
                double logP = x[y] - max - Math.Log(expSum);
                console.Ansi.WriteLine($"  −ln p(class {y}) = −ln {F(p)} = {F(-logP)}   (by hand with p rounded to {p:F2}: −ln {p:F2} = {-Math.Log(Math.Round(p, 2)):F2})");
                if (options.Weights is null && options.LabelSmoothing == 0)
                    console.Ansi.WriteLine($"  gradient: p − 1 = {F(p - 1)} for the observed class, p for the others");
            }
            console.Ansi.WriteLine($"  row loss: {F(rowLosses[n])}");
            console.Ansi.WriteLine();
        }
        string reductionText = reduction switch
        {
            Reduction.Mean when targets is not null => $"mean: the sum of the row losses {F(rowLosses.Sum(v => (double)v))} divided by the summed weights of the rows not ignored",
            Reduction.Mean => $"mean: the sum of the row losses divided by the {batch} rows",
            Reduction.Sum => "sum of the row losses",
            _ => "none",
        };
        console.Ansi.MarkupLine(reduction == Reduction.None
            ? $"[bold]Loss[/] (none: one per row): {string.Join(", ", rowLosses.Select(v => F(v)))}; their sum is {F(reduced)}"
            : $"[bold]Loss[/] ({Markup.Escape(reductionText)}) = [bold]{F(reduced)}[/]");
        console.Ansi.WriteLine($"Gradient of the {(reduction == Reduction.None ? "summed" : "reduced")} loss with respect to the logits: {FormatMatrix(gradient, batch, classCount)}");
        return 0;
    }

    private static void WriteJson(CliConsole console, Reduction reduction, double reduced, float[] rowLosses, float[] probabilities, float[] gradient, int batch, int classes)
    {
        console.Out.WriteLine(JsonOutput.Write(writer =>
        {
            writer.WriteStartObject();
            writer.WritePropertyName("loss");
            if (reduction == Reduction.None)
            {
                writer.WriteStartArray();
                foreach (float v in rowLosses) WriteNumber(writer, v);
                writer.WriteEndArray();
            }
            else WriteNumber(writer, reduced);
            WriteMatrix(writer, "probabilities", probabilities, batch, classes);
            WriteMatrix(writer, "gradient", gradient, batch, classes);
            writer.WriteEndObject();
        }));
    }

    private static void WriteMatrix(Utf8JsonWriter writer, string name, float[] values, int rows, int columns)
    {
        writer.WriteStartArray(name);
        for (int r = 0; r < rows; r++)
        {
            writer.WriteStartArray();
            for (int c = 0; c < columns; c++) WriteNumber(writer, values[r * columns + c]);
            writer.WriteEndArray();
        }
        writer.WriteEndArray();
    }

    // Every command's JSON has one policy for numbers JSON cannot hold: NaN and infinities are written as null.
    private static void WriteNumber(Utf8JsonWriter writer, double value) => JsonOutput.Number(writer, null, value);

    private static string F(double v) => v.ToString("0.####", CultureInfo.InvariantCulture);

    private static string FormatMatrix(float[] values, int rows, int columns) =>
        string.Join("; ", Enumerable.Range(0, rows).Select(r => string.Join(", ", values.Skip(r * columns).Take(columns).Select(v => F(v)))));

    internal static float[][] ParseMatrix(string text, string option)
    {
        string[] rows = text.Split(';');
        var result = new float[rows.Length][];
        for (int r = 0; r < rows.Length; r++)
        {
            result[r] = ParseRow(rows[r], option, r + 1);
            if (result[r].Length != result[0].Length)
                throw new UserError($"{option}: row {r + 1} has {result[r].Length} values but row 1 has {result[0].Length}; every row needs the same number of classes");
        }
        return result;
    }

    private static float[] ParseRow(string text, string option, int row)
    {
        if (string.IsNullOrWhiteSpace(text)) throw new UserError($"{option}: row {row} is empty; separate values with ',' and rows with ';'");
        string[] cells = text.Split(',', StringSplitOptions.TrimEntries);
        var values = new float[cells.Length];
        for (int i = 0; i < cells.Length; i++)
            if (!Xent.Data.Numbers.TryParse(cells[i], out values[i]) || float.IsNaN(values[i]))
                throw new UserError($"{option}: '{cells[i]}' in row {row} is not a number");
        return values;
    }

    private static string[] ParseNames(string text, int classCount)
    {
        string[] names = text.Split(',', StringSplitOptions.TrimEntries);
        if (names.Length != classCount)
            throw new UserError($"{Classes.Name} has {names.Length} names but the logits have {classCount} classes");
        if (names.Any(string.IsNullOrEmpty) || names.Distinct(StringComparer.Ordinal).Count() != names.Length)
            throw new UserError($"{Classes.Name} needs distinct, non-empty names");
        return names;
    }

    private static int[] ParseTargets(string text, int batch, int classCount, string[]? names, int ignoreIndex)
    {
        string[] cells = text.Split(';', StringSplitOptions.TrimEntries);
        if (cells.Length != batch)
            throw new UserError($"{Targets.Name} has {cells.Length} targets but {Logits.Name} has {batch} rows; give one target per row");
        var targets = new int[batch];
        for (int n = 0; n < batch; n++)
        {
            int index = names is null ? -1 : Array.IndexOf(names, cells[n]);
            if (index >= 0) { targets[n] = index; continue; }
            if (!int.TryParse(cells[n], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out targets[n]))
                throw new UserError(names is null
                    ? $"{Targets.Name}: '{cells[n]}' in row {n + 1} is not a class index (give --classes to use names)"
                    : $"{Targets.Name}: '{cells[n]}' in row {n + 1} is neither a class index nor one of {string.Join(", ", names)}");
            if (targets[n] != ignoreIndex && (targets[n] < 0 || targets[n] >= classCount))
                throw new UserError($"{Targets.Name}: row {n + 1}'s target {targets[n]} is outside [0, {classCount}) and is not the ignore index {ignoreIndex}");
        }
        return targets;
    }
}
