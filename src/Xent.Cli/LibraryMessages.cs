namespace Xent.Cli;

/// <summary>
/// The library names the reading options it concerns in library terms (<c>CsvOptions.Ignore</c>, <c>CsvOptions.Delimiter</c>, …);
/// on the command line the same options are flags. Every library message the CLI prints goes through <see cref="ForCli"/>,
/// so a user of <c>xent</c> reads <c>--ignore names the column 'zz'</c> where a library user reads <c>CsvOptions.Ignore names …</c>.
/// </summary>
internal static class LibraryMessages
{
    // Longest phrases first: a phrase that contains an option name is replaced before the name alone.
    private static readonly (string Library, string Cli)[] Phrases =
    [
        ("set CsvOptions.Missing to Impute", "leave out --missing error"),
        ("StreamingData.MemoryLimitBytes", "--memory-limit"),
        ("CsvOptions.DropUnlabelled", "--drop-unlabelled"),
        ("CsvOptions.Categorical", "--categorical"),
        ("CsvOptions.Delimiter", "--delimiter"),
        ("CsvOptions.Missing", "--missing"),
        ("CsvOptions.Numeric", "--numeric"),
        ("CsvOptions.Ignore", "--ignore"),
        ("CsvOptions.Label", "--label"),
    ];

    /// <summary>The library's message with each reading option it names spelt as the flag that sets it.</summary>
    public static string ForCli(string message)
    {
        if (!message.Contains("CsvOptions.", StringComparison.Ordinal) && !message.Contains("StreamingData.", StringComparison.Ordinal)) return message;
        foreach ((string library, string cli) in Phrases) message = message.Replace(library, cli, StringComparison.Ordinal);
        return message;
    }
}
