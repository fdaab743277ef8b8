namespace Xent.Cli;

/// <summary>
/// A problem with what the user gave (an option, a file, a value): reported as one line on stderr with no
/// stack trace, and exit code <see cref="ExitCode"/> (2 for usage and input errors).
/// </summary>
public sealed class UserError(string message, int exitCode = 2) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}

/// <summary>A command stopped by an interrupt (Ctrl-C, SIGTERM); its message says what was kept and how to go on.</summary>
public sealed class CommandInterruptedException(string message) : OperationCanceledException(message)
{
}
