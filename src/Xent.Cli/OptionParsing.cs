using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace Xent.Cli;

/// <summary>Shared validators and list parsers for command options; every message names the option.</summary>
internal static class OptionParsing
{
    /// <summary>
    /// Adds a validator that runs only when the value itself parsed (a value that does not parse already has its
    /// own error, and reading it would throw).
    /// </summary>
    public static void Check<T>(this Option<T> option, Func<T, string?> problem) =>
        option.Validators.Add(r =>
        {
            T value;
            try { value = r.GetValueOrDefault<T>(); }
            catch (InvalidOperationException) { return; }
            if (problem(value) is { } message) r.AddError($"{option.Name} {message}");
        });

    public static void MustBePositive(this Option<int> option) =>
        option.Check(v => v < 1 ? $"must be a positive whole number, got {v}" : null);

    public static void MustBeNonNegative(this Option<int> option) =>
        option.Check(v => v < 0 ? $"must be zero or a positive whole number, got {v}" : null);

    public static void MustBePositive(this Option<float> option) =>
        option.Check(v => !(v > 0) || !float.IsFinite(v) ? $"must be a positive number, got {v.ToString(CultureInfo.InvariantCulture)}" : null);

    public static void MustBeInRange(this Option<float> option, float min, float maxExclusive) =>
        option.Check(v => !(v >= min && v < maxExclusive)
            ? $"must be in [{min.ToString(CultureInfo.InvariantCulture)}, {maxExclusive.ToString(CultureInfo.InvariantCulture)}), got {v.ToString(CultureInfo.InvariantCulture)}"
            : null);

    /// <summary>
    /// Makes every numeric option of every command parse strictly and culture-free (<see cref="Xent.Data.Numbers"/>):
    /// "0,01" or "1,000" is an error naming the option, never 1 or 1000. System.CommandLine's own parser accepts
    /// thousands separators.
    /// </summary>
    public static void MakeNumbersStrict(Command root)
    {
        foreach (Option option in root.Options.Concat(root.Subcommands.SelectMany(c => c.Options)))
        {
            switch (option)
            {
                case Option<float> f: f.CustomParser = r => (float)Number(r, f.Name, f.DefaultValueFactory is { } d ? d(r) : 0f, whole: false); break;
                case Option<double> d: d.CustomParser = r => Number(r, d.Name, d.DefaultValueFactory is { } v ? v(r) : 0.0, whole: false); break;
                case Option<int> i: i.CustomParser = r => (int)Whole(r, i.Name, i.DefaultValueFactory is { } v ? v(r) : 0, int.MinValue, int.MaxValue); break;
                case Option<long> l: l.CustomParser = r => Whole(r, l.Name, l.DefaultValueFactory is { } v ? v(r) : 0L, long.MinValue, long.MaxValue); break;
            }
        }
    }

    private static double Number(ArgumentResult result, string option, double fallback, bool whole)
    {
        if (result.Tokens.Count == 0) return fallback;
        string text = result.Tokens[^1].Value;
        if (Xent.Data.Numbers.TryParse(text, out double value) && !double.IsNaN(value)) return value;
        result.AddError(text.Contains(',')
            ? $"{option} takes a number with '.' as the decimal point and no thousands separators; '{text}' is not one"
            : $"{option} takes a number; '{text}' is not one");
        return fallback;
    }

    private static long Whole(ArgumentResult result, string option, long fallback, long min, long max)
    {
        if (result.Tokens.Count == 0) return fallback;
        string text = result.Tokens[^1].Value;
        if (Xent.Data.Numbers.TryParse(text, out long value) && value >= min && value <= max) return value;
        result.AddError(Xent.Data.Numbers.TryParse(text, out long _)
            ? $"{option} takes a whole number from {min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)}; '{text}' is out of range"
            : $"{option} takes a whole number; '{text}' is not one");
        return fallback;
    }

    /// <summary>The field separator from --delimiter: one character, or 'tab'.</summary>
    public static char ParseDelimiter(string text) => text == "tab" ? '\t' : text[0];

    /// <summary>
    /// Validates --delimiter: one character or 'tab', and not one that is part of a number or of CSV quoting
    /// (a quote, a line break, a digit, a letter, '.', '+', '-').
    /// </summary>
    public static void MustBeDelimiter(this Option<string> option) =>
        option.Check(v =>
        {
            if (v is "tab") return null;
            if (v is null || v.Length != 1) return $"must be one character or 'tab'; got '{v}'";
            char c = v[0];
            if (c is '"' or '\r' or '\n' or '.' or '+' or '-' || char.IsLetterOrDigit(c) || char.IsControl(c) && c != '\t')
                return $"cannot be '{(char.IsControl(c) ? $"\\u{(int)c:x4}" : v)}': it is part of numbers or of CSV quoting; use ',', ';', '|', 'tab' or a space";
            return null;
        });

    /// <summary>Makes System.CommandLine's parse messages read as plain English ("a number" rather than "System.Single").</summary>
    public static string Humanize(string message) => WordList(System.Text.RegularExpressions.Regex.Replace(message, @"\s*[\r\n\t]+\s*", " "))
        .Replace("as expected type 'System.Single'", "as a number")
        .Replace("as expected type 'System.Double'", "as a number")
        .Replace("as expected type 'System.Int32'", "as a whole number")
        .Replace("as expected type 'System.Int64'", "as a whole number");

    // "Argument 'x' not recognized. Must be one of: 'a' 'b'" -> "'x' is not one of 'a', 'b'"
    private static string WordList(string message)
    {
        var match = System.Text.RegularExpressions.Regex.Match(message, @"^Argument '(.*)' not recognized\. Must be one of: (.*)$");
        return match.Success ? $"'{match.Groups[1].Value}' is not one of {string.Join(", ", match.Groups[2].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries))}" : message;
    }

    /// <summary>Parses "16,8" into layer sizes; an empty string or "none" means no hidden layer.</summary>
    public static int[] ParseLayerSizes(string text, string optionName)
    {
        string trimmed = text.Trim();
        if (trimmed.Length == 0 || trimmed.Equals("none", StringComparison.OrdinalIgnoreCase)) return [];
        string[] parts = trimmed.Split(',', StringSplitOptions.TrimEntries);
        var sizes = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out sizes[i]) || sizes[i] < 1)
                throw new UserError($"{optionName} takes comma-separated positive layer sizes such as 16,8 (or 'none'); '{text}' is not");
        return sizes;
    }

    public static void MustBeMissingPolicy(this Option<string?> option) =>
        option.Check(v => v is null or "impute" or "error" ? null : $"must be impute or error; got '{v}'");

    /// <summary>The value of a checked <c>--missing</c>.</summary>
    public static Xent.MissingValues ParseMissing(string value) => value == "error" ? Xent.MissingValues.Error : Xent.MissingValues.Impute;

    /// <summary>Comma-separated column names (surrounding spaces trimmed); an empty name is an error naming the option.</summary>
    public static string[] ParseNames(string? value, string option)
    {
        if (value is null) return [];
        string[] names = value.Split(',', StringSplitOptions.TrimEntries);
        if (names.Any(n => n.Length == 0)) throw new UserError($"{option} takes comma-separated column names; got '{value}'");
        return names;
    }
}
