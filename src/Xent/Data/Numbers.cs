using System.Globalization;

namespace Xent.Data;

/// <summary>
/// The one way Xent reads a number a user wrote (in a file or an option): invariant culture, '.' for the decimal point,
/// an optional sign and exponent, and nothing else — no thousands separators, no decimal commas, no hex.
/// </summary>
internal static class Numbers
{
    private const NumberStyles Style = NumberStyles.AllowLeadingWhite | NumberStyles.AllowTrailingWhite | NumberStyles.AllowLeadingSign
        | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent;

    /// <summary>Parses a plain decimal number; NaN and infinities parse (callers decide whether they are allowed).</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out double value) =>
        double.TryParse(text, Style, CultureInfo.InvariantCulture, out value);

    /// <summary>As <see cref="TryParse(ReadOnlySpan{char}, out double)"/>, as float32.</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out float value) =>
        float.TryParse(text, Style, CultureInfo.InvariantCulture, out value);

    /// <summary>As <see cref="TryParse(ReadOnlySpan{char}, out float)"/>, from UTF-8 text (a CSV field as read).</summary>
    public static bool TryParseUtf8(ReadOnlySpan<byte> utf8, out float value) =>
        float.TryParse(utf8, Style, CultureInfo.InvariantCulture, out value);

    /// <summary>A whole number with an optional sign, nothing else.</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out long value) =>
        long.TryParse(text, NumberStyles.AllowLeadingWhite | NumberStyles.AllowTrailingWhite | NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);

    /// <summary>True for the spellings of NaN and the infinities that users write (nan, inf, infinity, ∞, with a sign).</summary>
    public static bool IsNonFinite(string text) =>
        text.Trim().TrimStart('+', '-').ToLowerInvariant() is "inf" or "infinity" or "nan" or "∞";
}

/// <summary>
/// How a label cell names a class. Labels are text, trimmed of surrounding whitespace; a label that is a plain number is
/// named by its shortest round-trip form, so <c>1</c>, <c>1.0</c>, <c>01</c> and <c>1e0</c> are one class, "1" (a column of
/// numeric codes written by different tools must not split into several classes).
/// </summary>
internal static class ClassLabels
{
    public static string Normalize(string label)
    {
        string trimmed = label.Trim();
        if (trimmed.Length == 0 || !char.IsAsciiDigit(trimmed[^1]) && trimmed[^1] != '.') return trimmed;
        if (!Numbers.TryParse(trimmed, out double value) || !double.IsFinite(value)) return trimmed;
        if (value == 0) value = 0;   // -0 and 0 are one class
        return value.ToString("R", CultureInfo.InvariantCulture);
    }

    /// <summary>False for labels that cannot name a class: NaN and the infinities.</summary>
    public static bool IsValid(string normalized) => !Numbers.IsNonFinite(normalized);

    /// <summary>The number a normalised label stands for, when it is one.</summary>
    public static bool TryNumber(string normalized, out double value) =>
        Numbers.TryParse(normalized, out value) && double.IsFinite(value);
}
