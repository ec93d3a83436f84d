using System.Globalization;
using System.Text.RegularExpressions;

namespace Broadsheet.Signup;

/// <summary>
/// The one rule for which addresses we accept, shared by server and browser: the patterns below are rendered
/// into the sign-up module and used by signup.js, so both sides say "valid" for exactly the same input.
/// </summary>
public static partial class EmailAddressRule
{
    public const int MaxLength = 254;
    public const int MaxLocalLength = 64;

    /// <summary>RFC 5321 dot-atom local part, ASCII only (no quoted strings, comments or SMTPUTF8).</summary>
    public const string LocalPartPattern = @"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$";

    /// <summary>An ASCII (punycode) host name with at least one dot and a top-level label that is not all digits.</summary>
    public const string DomainPattern = @"^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+([a-z]{2,63}|xn--[a-z0-9-]{1,59})$";

    [GeneratedRegex(LocalPartPattern, RegexOptions.CultureInvariant)]
    private static partial Regex LocalPart();

    [GeneratedRegex(DomainPattern, RegexOptions.CultureInvariant)]
    private static partial Regex Domain();

    private static readonly IdnMapping Idn = new() { UseStd3AsciiRules = true, AllowUnassigned = false };

    /// <summary>Normalises <paramref name="input"/> (trim, punycode, lower-case domain) or returns false.</summary>
    public static bool TryNormalize(string? input, out string normalized)
    {
        normalized = "";
        if (input is null) return false;
        var trimmed = input.Trim();
        if (trimmed.Length is 0 or > MaxLength * 4) return false;

        var at = trimmed.LastIndexOf('@');
        if (at <= 0 || at == trimmed.Length - 1) return false;
        var local = trimmed[..at];
        var domain = trimmed[(at + 1)..];
        if (local.Length > MaxLocalLength || !LocalPart().IsMatch(local)) return false;

        string asciiDomain;
        try
        {
            asciiDomain = Idn.GetAscii(domain).ToLowerInvariant();
        }
        catch (ArgumentException)
        {
            return false;
        }
        if (!Domain().IsMatch(asciiDomain)) return false;

        var result = local + "@" + asciiDomain;
        if (result.Length > MaxLength) return false;
        normalized = result;
        return true;
    }

    /// <summary>The key under which an address is unique: the whole normalised address in lower case.</summary>
    public static string Key(string normalized) => normalized.ToLowerInvariant();
}
