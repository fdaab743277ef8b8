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
        OptionParsing.MakeNumbersStrict(root);
        return root;
    }

    /// <summary>
    /// Parses and runs one command line. <paramref name="cancellationToken"/> is the process's interrupt (Ctrl-C,
    /// SIGTERM); a command stopped by it exits with <paramref name="interruptedExitCode"/> (130 by default).
    /// </summary>
    public static int Run(string[] args, CliConsole console, CancellationToken cancellationToken = default, Func<int>? interruptedExitCode = null)
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
                string message = OptionParsing.Humanize(error.Message);
                // A value refused by an option's own parser or list of words: say which option it was.
                if (OptionOf(error.SymbolResult) is { } option && !message.Contains(option, StringComparison.Ordinal)) message = $"{option}: {message}";
                console.Error.WriteLine($"{command}: error: {message} (see '{command} --help')");
                return UsageError;
            }
            // Signals are handled by the process (Interrupts), not by System.CommandLine's own handler.
            var configuration = new InvocationConfiguration { Output = console.Out, Error = console.Error, EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null };
            int code = parse.InvokeAsync(configuration, cancellationToken).GetAwaiter().GetResult();
            Interrupts.Finish();
            return code;
        }
        catch (UserError e)
        {
            Interrupts.Finish();
            console.Error.WriteLine($"{CommandName(parse)}: error: {OneLine(e.Message)}");
            return e.ExitCode;
        }
        catch (Exception e) when (e is Xent.Data.DataFormatException or Xent.ModelFileException)
        {
            Interrupts.Finish();
            console.Error.WriteLine($"{CommandName(parse)}: error: {OneLine(LibraryMessages.ForCli(e.Message))}");
            return UsageError;
        }
        catch (OperationCanceledException e)
        {
            Interrupts.Finish();
            console.Error.WriteLine($"{CommandName(parse)}: {(e is CommandInterruptedException ? OneLine(e.Message) : "interrupted; nothing was saved")}");
            return interruptedExitCode?.Invoke() ?? 130;
        }
        catch (OutOfMemoryException)
        {
            Interrupts.Finish();
            console.Error.WriteLine($"{CommandName(parse)}: error: not enough memory for this run; use less data, smaller layers (--hidden) or a smaller --batch-size");
            return 1;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Interrupts.Finish();
            console.Error.WriteLine($"{CommandName(parse)}: error: {OneLine(e.Message)}");
            return 1;
        }
        catch (Exception e) when (Environment.GetEnvironmentVariable("XENT_DEBUG") is null)
        {
            Interrupts.Finish();
            console.Error.WriteLine($"{CommandName(parse)}: internal error: {e.GetType().Name}: {OneLine(e.Message)} (set XENT_DEBUG=1 for the stack trace)");
            return 1;
        }
    }

    private static string? OptionOf(SymbolResult? result) => result switch
    {
        OptionResult o => o.Option.Name,
        ArgumentResult { Parent: OptionResult o } => o.Option.Name,
        _ => null,
    };

    private static string OneLine(string message) => message.ReplaceLineEndings(" ").Trim();

    private static string CommandName(ParseResult? parse) =>
        parse is null || parse.CommandResult.Command is RootCommand ? "xent" : $"xent {parse.CommandResult.Command.Name}";
}
