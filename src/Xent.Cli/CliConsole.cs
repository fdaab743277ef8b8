using System.Globalization;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Xent.Cli;

/// <summary>
/// Where a command writes: <see cref="Ansi"/> for human output (tables, progress bars), <see cref="Out"/> for raw
/// machine-readable text such as JSON, and <see cref="Error"/> for one-line errors. Tests inject string writers.
/// </summary>
public sealed class CliConsole(IAnsiConsole ansi, TextWriter output, TextWriter error)
{
    /// <summary>The width used when output goes to a file or a pipe: wide enough that no line is ever wrapped.</summary>
    public const int UnwrappedWidth = 1 << 16;

    public IAnsiConsole Ansi { get; } = ansi;
    public TextWriter Out { get; } = output;
    public TextWriter Error { get; } = error;

    /// <summary>True when a person is watching a terminal, so live progress bars make sense.</summary>
    public bool IsInteractive => Ansi.Profile.Capabilities.Interactive;

    /// <summary>
    /// The process's own console. Redirected or piped, lines are never wrapped (a consumer reads whole values); on a
    /// terminal the terminal's width is used, or <c>COLUMNS</c> when it is set to a number.
    /// </summary>
    public static CliConsole System()
    {
        // Under mpirun a process's output reaches the user through mpirun, on a pseudo-terminal whatever mpirun's own
        // output is: plain lines, as when redirected.
        // TERM=dumb before the console starts keeps .NET from switching that terminal's keypad mode (an escape sequence in
        // the output).
        // Only the launcher's process 0 prints; the others write nothing but a line naming themselves when they fail.
        if (Distributed.OpenMpi.LaunchedByMpirun)
        {
            Environment.SetEnvironmentVariable("TERM", "dumb");
            return Distributed.OpenMpi.LauncherRank == 0 ? Plain(Console.Out, Console.Error) : Plain(TextWriter.Null, TextWriter.Null);
        }
        IAnsiConsole ansi = AnsiConsole.Console;
        if (Console.IsOutputRedirected) ansi.Profile.Width = UnwrappedWidth;
        else if (int.TryParse(Environment.GetEnvironmentVariable("COLUMNS"), NumberStyles.None, CultureInfo.InvariantCulture, out int columns) && columns is > 0 and < UnwrappedWidth)
            ansi.Profile.Width = columns;
        return new CliConsole(ansi, Console.Out, Console.Error);
    }

    /// <summary>A console that records everything, for in-process tests: no colours, no live widgets, never wrapped.</summary>
    public static CliConsole Capture(StringWriter output, StringWriter error) => Plain(output, error);

    /// <summary>A console that prints nothing but errors: the processes of a data-parallel run other than process 0.</summary>
    public static CliConsole Silent(TextWriter error) => Plain(TextWriter.Null, error);

    private static CliConsole Plain(TextWriter output, TextWriter error)
    {
        IAnsiConsole ansi = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(output),
        });
        ansi.Profile.Width = UnwrappedWidth;
        return new CliConsole(ansi, output, error);
    }

    /// <summary>
    /// Writes one line of human output. Nothing in it is read as console markup: the literal text and every value are
    /// escaped, and each interpolated value is shown in bold (invariant culture, so numbers read the same everywhere).
    /// </summary>
    public void Line(FormattableString text) =>
        Ansi.MarkupLine(string.Format(BoldValues.Instance, Markup.Escape(text.Format), text.GetArguments()));

    /// <summary>A heading line in bold; the text is not read as markup.</summary>
    public void Heading(string text) => Ansi.Write(new Text(text + Environment.NewLine, new Style(decoration: Decoration.Bold)));

    /// <summary>Table cells as plain text (a class name such as "[a]" stays as it is).</summary>
    public static IRenderable[] Cells(params string[] cells) => cells.Select(c => (IRenderable)new Text(c)).ToArray();

    private sealed class BoldValues : IFormatProvider, ICustomFormatter
    {
        public static readonly BoldValues Instance = new();
        public object? GetFormat(Type? formatType) => formatType == typeof(ICustomFormatter) ? this : null;

        public string Format(string? format, object? arg, IFormatProvider? formatProvider)
        {
            string text = arg is IFormattable f ? f.ToString(format, CultureInfo.InvariantCulture) : arg?.ToString() ?? "";
            return $"[bold]{Markup.Escape(text)}[/]";
        }
    }
}
