using System.CommandLine;
using System.CommandLine.Parsing;
using Xent.Cli.Commands;

namespace Xent.Cli;

/// <summary>Builds the <c>xent</c> command tree and runs it with one-line errors and stable exit codes.</summary>
public static class XentApp
{
    /// <summary>Exit code for a bad option, value, or input file.</summary>
    public const int UsageError = 2;

    public static RootCommand CreateRoot(CliConsole console)
    {
        var root = new RootCommand("xent: neural-network classifiers with softmax and cross entropy, trained by backpropagation, with every step of the math shown.");
        root.Subcommands.Add(TrainCommand.Create(console));
        root.Subcommands.Add(LossCommand.Create(console));
        root.Subcommands.Add(EvaluateCommand.Create(console));
        root.Subcommands.Add(PredictCommand.Create(console));
        root.Subcommands.Add(ExportOnnxCommand.Create(console));
        root.Subcommands.Add(ExplainCommand.Create(console));
        return root;
    }

    public static int Run(string[] args, CliConsole console)
    {
        RootCommand root = CreateRoot(console);
        // Bare `xent`: show what it can do rather than an error.
        if (args.Length == 0) args = ["--help"];
        ParseResult? parse = null;
        try
        {
            parse = root.Parse(args);
            if (parse.Errors.Count > 0)
            {
                string command = CommandName(parse);
                // Prefer the most specific message: an unknown word explains a missing command better than "required command".
                ParseError error = parse.Errors.FirstOrDefault(e => e.Message.StartsWith("Unrecognized", StringComparison.Ordinal)) ?? parse.Errors[0];
                console.Error.WriteLine($"{command}: error: {OptionParsing.Humanize(error.Message)} (see '{command} --help')");
                return UsageError;
            }
            return parse.Invoke(new InvocationConfiguration { Output = console.Out, Error = console.Error, EnableDefaultExceptionHandler = false });
        }
        catch (UserError e)
        {
            console.Error.WriteLine($"{CommandName(parse)}: error: {e.Message}");
            return e.ExitCode;
        }
        catch (Exception e) when (e is Xent.Data.DataFormatException or Xent.Models.ModelFileException)
        {
            console.Error.WriteLine($"{CommandName(parse)}: error: {e.Message}");
            return UsageError;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            console.Error.WriteLine($"{CommandName(parse)}: error: {e.Message.ReplaceLineEndings(" ")}");
            return 1;
        }
        catch (OperationCanceledException)
        {
            console.Error.WriteLine($"{CommandName(parse)}: cancelled");
            return 130;
        }
        catch (Exception e) when (Environment.GetEnvironmentVariable("XENT_DEBUG") is null)
        {
            string message = e.Message.ReplaceLineEndings(" ").Trim();
            console.Error.WriteLine($"{CommandName(parse)}: internal error: {e.GetType().Name}: {message} (set XENT_DEBUG=1 for the stack trace)");
            return 1;
        }
    }

    private static string CommandName(ParseResult? parse) =>
        parse is null || parse.CommandResult.Command is RootCommand ? "xent" : $"xent {parse.CommandResult.Command.Name}";
}
