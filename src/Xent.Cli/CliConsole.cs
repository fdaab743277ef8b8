using Spectre.Console;

namespace Xent.Cli;

/// <summary>
/// Where a command writes: <see cref="Ansi"/> for human output (tables, progress bars), <see cref="Out"/> for raw
/// machine-readable text such as JSON, and <see cref="Error"/> for one-line errors. Tests inject string writers.
/// </summary>
public sealed class CliConsole
{
    public CliConsole(IAnsiConsole ansi, TextWriter output, TextWriter error)
    {
        Ansi = ansi;
        Out = output;
        Error = error;
    }

    public IAnsiConsole Ansi { get; }
    public TextWriter Out { get; }
    public TextWriter Error { get; }

    /// <summary>True when a person is watching a terminal, so live progress bars make sense.</summary>
    public bool IsInteractive => Ansi.Profile.Capabilities.Interactive;

    /// <summary>The process's own console.</summary>
    public static CliConsole System() => new(AnsiConsole.Console, Console.Out, Console.Error);

    /// <summary>A console that records everything, for in-process tests: no colours, no live widgets, a wide line.</summary>
    public static CliConsole Capture(StringWriter output, StringWriter error)
    {
        IAnsiConsole ansi = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(output),
        });
        ansi.Profile.Width = 160;
        return new CliConsole(ansi, output, error);
    }
}
