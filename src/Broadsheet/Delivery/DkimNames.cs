using System.Globalization;
using System.Text.RegularExpressions;

namespace Broadsheet.Delivery;

/// <summary>Checks and normalises the domain and selector of a DKIM key (lower case, international names as punycode).</summary>
public static partial class DkimNames
{
    public static bool TryDomain(string? input, out string domain, out string? error)
    {
        domain = Ascii(input).TrimEnd('.');
        // The last label is not all digits, so an IP address is not taken for a domain.
        error = domain.Length is > 0 and <= 253 && Domain().IsMatch(domain) && !domain.Split('.')[^1].All(char.IsAsciiDigit) ? null
            : "Give a domain name such as news.example.com (letters, digits and hyphens, with at least one dot).";
        return error is null;
    }

    public static bool TrySelector(string? input, out string selector, out string? error)
    {
        selector = Ascii(input);
        error = selector.Length is > 0 and <= 63 && Selector().IsMatch(selector) ? null
            : "Give a selector such as bs2026 (letters, digits and hyphens, dots between parts, at most 63 characters).";
        return error is null;
    }

    private static string Ascii(string? input)
    {
        var trimmed = (input ?? "").Trim().ToLowerInvariant();
        try
        {
            return trimmed.Length == 0 ? "" : new IdnMapping().GetAscii(trimmed);
        }
        catch (ArgumentException)
        {
            return "\0"; // not a name at all; fails the patterns
        }
    }

    private const string Label = "[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?";

    [GeneratedRegex($"^(?:{Label}\\.)+{Label}$")]
    private static partial Regex Domain();

    [GeneratedRegex($"^{Label}(?:\\.{Label})*$")]
    private static partial Regex Selector();
}
