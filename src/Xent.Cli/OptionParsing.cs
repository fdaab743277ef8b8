using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace Xent.Cli;

/// <summary>Shared validators and list parsers for command options; every message names the option.</summary>
internal static class OptionParsing
{
    public static void MustBePositive(this Option<int> option) =>
        option.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 1) r.AddError($"{option.Name} must be a positive whole number, got {r.GetValueOrDefault<int>()}"); });

    public static void MustBeNonNegative(this Option<int> option) =>
        option.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 0) r.AddError($"{option.Name} must be zero or a positive whole number, got {r.GetValueOrDefault<int>()}"); });

    public static void MustBePositive(this Option<float> option) =>
        option.Validators.Add(r =>
        {
            float v = r.GetValueOrDefault<float>();
            if (!(v > 0) || !float.IsFinite(v)) r.AddError($"{option.Name} must be a positive number, got {v.ToString(CultureInfo.InvariantCulture)}");
        });

    public static void MustBeInRange(this Option<float> option, float min, float maxExclusive) =>
        option.Validators.Add(r =>
        {
            float v = r.GetValueOrDefault<float>();
            if (!(v >= min && v < maxExclusive)) r.AddError($"{option.Name} must be in [{min.ToString(CultureInfo.InvariantCulture)}, {maxExclusive.ToString(CultureInfo.InvariantCulture)}), got {v.ToString(CultureInfo.InvariantCulture)}");
        });

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
