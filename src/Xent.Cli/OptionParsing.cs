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

    /// <summary>Makes System.CommandLine's parse messages read as plain English ("a number" rather than "System.Single").</summary>
    public static string Humanize(string message) => System.Text.RegularExpressions.Regex.Replace(message, @"\s*[\r\n\t]+\s*", " ")
        .Replace("as expected type 'System.Single'", "as a number")
        .Replace("as expected type 'System.Double'", "as a number")
        .Replace("as expected type 'System.Int32'", "as a whole number")
        .Replace("as expected type 'System.Int64'", "as a whole number");

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
}
