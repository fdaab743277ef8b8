using System.CommandLine;
using Xent.Data;

namespace Xent.Cli;

/// <summary>
/// The options that several commands take, defined once: the same name, wording, validation and reading everywhere.
/// A command keeps its own instance (System.CommandLine options belong to one command) in a static field, made here.
/// </summary>
internal static class CommonOptions
{
    /// <summary><c>--model</c>: a model file written by <c>xent train --out</c>; required.</summary>
    public static Option<string> Model() => new("--model") { Description = "A model saved by 'xent train --out'", Required = true };

    /// <summary><c>--data</c>: a CSV or Parquet file, a folder of shards or a glob; <paramref name="what"/> says what it must hold.</summary>
    public static Option<string?> Data(string what, bool required) =>
        new("--data") { Description = $"{what}: a CSV file with a header row, a Parquet file, a folder of shards or a glob such as 'data/part-*.parquet'", Required = required };

    /// <summary><c>--delimiter</c>: one character or 'tab', checked before any work (see <see cref="OptionParsing.MustBeDelimiter"/>).</summary>
    public static Option<string> Delimiter()
    {
        var option = new Option<string>("--delimiter") { Description = "Field separator: one character, or 'tab'", DefaultValueFactory = _ => "," };
        option.MustBeDelimiter();
        return option;
    }

    /// <summary><c>--label</c>: the label column's name.</summary>
    public static Option<string?> Label(string fallback) => new("--label") { Description = $"Name of the label column (default: {fallback})" };

    /// <summary><c>--missing</c> for commands that read data for a saved model: its own policy unless told otherwise.</summary>
    public static Option<string?> MissingForModel()
    {
        var option = new Option<string?>("--missing") { Description = "Missing values: 'impute' (as in training) or 'error' (default: the policy the model was trained with)" };
        option.MustBeMissingPolicy();
        return option;
    }

    /// <summary><c>--json</c>: one JSON object on standard output instead of the readable text; <paramref name="shape"/> lists its fields.</summary>
    public static Option<bool> Json(string shape) => new("--json") { Description = $"Print {shape} as JSON instead of the human-readable output" };

    /// <summary><c>--out</c>: a file this command writes (whole or not at all); see <see cref="OutputFile"/>.</summary>
    public static Option<string?> Out(string what, bool required = false) => new("--out") { Description = what, Required = required };

    /// <summary><c>--force</c>: allows <c>--out</c> (and the command's other outputs) to replace what is there.</summary>
    public static Option<bool> Force() => new("--force") { Description = "Overwrite an existing --out file" };

    /// <summary>The checked, full <c>--delimiter</c> character.</summary>
    public static char DelimiterValue(this ParseResult parse, Option<string> delimiter) => OptionParsing.ParseDelimiter(parse.GetValue(delimiter)!);

    /// <summary>The <c>--missing</c> policy given, or <paramref name="model"/>'s own.</summary>
    public static MissingValues MissingValue(this ParseResult parse, Option<string?> missing, MissingValues model) =>
        parse.GetValue(missing) is { } m ? OptionParsing.ParseMissing(m) : model;

    /// <summary>The <c>--data</c> path after its checks (it exists, or the glob matches), or null when it was not given.</summary>
    public static string? DataValue(this ParseResult parse, Option<string?> data) =>
        parse.GetValue(data) is { } path ? FilePaths.DataInput(path, data.Name) : null;

    /// <summary>
    /// The <c>--out</c> file checked before any work (its folder exists, it is not there unless <c>--force</c>) and locked
    /// against a second run writing it at the same time; null when <c>--out</c> was not given. Dispose the lock when done.
    /// </summary>
    public static (string Path, OutputLock Lock)? OutputFile(this ParseResult parse, Option<string?> @out, Option<bool> force)
    {
        if (parse.GetValue(@out) is not { } given) return null;
        string path = FilePaths.Output(given, @out.Name, parse.GetValue(force));
        return (path, OutputLock.Acquire(path, @out.Name));
    }
}
