using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Broadsheet.Signup;

/// <summary>
/// The one rule for which addresses we accept, shared by server and browser: the patterns below are rendered
/// into the sign-up module and used by signup.js, whose <c>normalize</c> follows this method step by step, so
/// both sides say "valid" for exactly the same input (tests/…/email-addresses.tsv is run through both).
/// </summary>
/// <remarks>
/// Domains go through UTS 46 (IDNA): .NET's <see cref="IdnMapping"/> on the server, the URL parser in the browser;
/// both are ICU, but not the same version nor the same options. Where they differ we refuse on both sides or
/// align the server with the browser:
/// <list type="bullet">
/// <item>Symbols (emoji, ☃, ™, ℀, currency) are refused in domains: IDNA 2008, which mail software implements,
/// disallows them, and new emoji are where two Unicode versions disagree most.</item>
/// <item>.NET does not apply the bidi rule (RFC 5893); the browser does. Domains with right-to-left characters
/// must pass a stricter rule of our own (<see cref="PassesBidiRule"/>), on both sides.</item>
/// <item>Capitals are lower-cased before IDNA: ICU 72 maps ẞ to "ss" and refuses Ⅎ, where newer Unicode (the
/// browser) maps them to ß and ⅎ.</item>
/// <item>Hyphens at label ends and "--" in third and fourth place are refused explicitly: the browser does not check them.</item>
/// <item>Invisible characters (format, control, separators) are refused anywhere rather than silently dropped.</item>
/// </list>
/// Characters newer than the server's ICU may still be refused by the server alone; its answer wins.
/// </remarks>
public static partial class EmailAddressRule
{
    public const int MaxLength = 254;
    public const int MaxLocalLength = 64;

    private const string LocalPartBody = @"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*";

    /// <summary>RFC 5321 dot-atom local part, ASCII only (no quoted strings, comments or SMTPUTF8).</summary>
    public const string LocalPartPattern = "^" + LocalPartBody + "$";

    /// <summary>An ASCII (punycode) host name with at least one dot and a top-level label that is not all digits.</summary>
    public const string DomainPattern = @"^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+([a-z]{2,63}|xn--[a-z0-9-]{1,59})$";

    /// <summary>What both sides trim: every Unicode space (JavaScript's trim() and .NET's Trim() each miss one).</summary>
    private const string TrimmedCharacters = "\t\n\v\f\r \u0085\u00A0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200A\u2028\u2029\u202F\u205F\u3000\uFEFF";

    private static readonly char[] Trimmed = TrimmedCharacters.ToCharArray();

    // .NET's $ also matches before a final "\n"; the browser's does not, so the server anchors with \z.
    [GeneratedRegex("^" + LocalPartBody + @"\z", RegexOptions.CultureInvariant)]
    private static partial Regex LocalPart();

    [GeneratedRegex(DomainPattern, RegexOptions.CultureInvariant)]
    private static partial Regex Domain();

    private static readonly IdnMapping Idn = new() { UseStd3AsciiRules = true, AllowUnassigned = false };

    /// <summary>Normalises <paramref name="input"/> (trim, punycode, lower-case domain) or returns false.</summary>
    public static bool TryNormalize(string? input, out string normalized)
    {
        normalized = "";
        if (input is null) return false;
        var trimmed = input.Trim(Trimmed);
        if (trimmed.Length is 0 or > MaxLength * 4 || HasInvisible(trimmed)) return false;

        var at = trimmed.LastIndexOf('@');
        if (at <= 0 || at == trimmed.Length - 1) return false;
        var local = trimmed[..at];
        var domain = trimmed[(at + 1)..];
        if (local.Length > MaxLocalLength || !LocalPart().IsMatch(local)) return false;
        if (HasSymbol(domain)) return false;

        string asciiDomain, unicodeDomain;
        try
        {
            asciiDomain = Idn.GetAscii(LowerCase(domain)).ToLowerInvariant();
            unicodeDomain = Idn.GetUnicode(asciiDomain);
        }
        catch (ArgumentException)
        {
            return false;
        }
        if (!Domain().IsMatch(asciiDomain) || HasMisplacedHyphen(asciiDomain) || HasMisplacedHyphen(unicodeDomain)
            || HasSymbol(unicodeDomain) || !PassesBidiRule(unicodeDomain)) return false;

        var result = local + "@" + asciiDomain;
        if (result.Length > MaxLength) return false;
        normalized = result;
        return true;
    }

    /// <summary>The key under which an address is unique: the whole normalised address in lower case.</summary>
    public static string Key(string normalized) => normalized.ToLowerInvariant();

    /// <summary>
    /// Lower-cases code point by code point before IDNA, as signup.js does: UTS 46 lower-cases anyway, but newer
    /// Unicode versions map capitals that older ones refuse (ẞ, Ⅎ). İ is left to IDNA, which maps it to "i̇".
    /// </summary>
    private static string LowerCase(string domain)
    {
        var lower = new StringBuilder(domain.Length);
        foreach (var rune in domain.EnumerateRunes()) lower.Append(rune.Value == 0x0130 ? rune : Rune.ToLowerInvariant(rune));
        return lower.ToString();
    }

    /// <summary>
    /// A hyphen at either end of a label, or "--" in the third and fourth place, which marks an encoded label
    /// (RFC 5891). ICU refuses these (bar "xn--"); the browser does not check hyphens (WHATWG CheckHyphens=false),
    /// so both sides refuse them explicitly, in the ASCII and in the Unicode form.
    /// </summary>
    private static bool HasMisplacedHyphen(string domain) => domain.Split('.').Any(label =>
        label.StartsWith('-') || label.EndsWith('-') || (label.Length >= 4 && label[2..4] == "--" && !label.StartsWith("xn--", StringComparison.Ordinal)));

    /// <summary>
    /// Controls, format characters, separators, unpaired surrogates, private-use and unassigned code points, and
    /// the default-ignorable ones (Hangul fillers: ICU 72 refuses them, newer browsers drop them).
    /// </summary>
    private static bool HasInvisible(string value) => AnyRune(value, (codePoint, category) => IsDefaultIgnorable(codePoint) || category is
        UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse
        or UnicodeCategory.OtherNotAssigned or UnicodeCategory.SpaceSeparator or UnicodeCategory.LineSeparator
        or UnicodeCategory.ParagraphSeparator);

    /// <summary>Unicode's Default_Ignorable_Code_Point list, spelled out so that signup.js can use the very same one.</summary>
    private static bool IsDefaultIgnorable(int codePoint) => codePoint is
        0x00AD or 0x034F or 0x061C or 0x115F or 0x1160 or 0x17B4 or 0x17B5 or >= 0x180B and <= 0x180F or >= 0x200B and <= 0x200F
        or >= 0x202A and <= 0x202E or >= 0x2060 and <= 0x206F or 0x3164 or >= 0xFE00 and <= 0xFE0F or 0xFEFF or 0xFFA0
        or >= 0xFFF0 and <= 0xFFF8 or >= 0x1BCA0 and <= 0x1BCA3 or >= 0x1D173 and <= 0x1D17A or >= 0xE0000 and <= 0xE0FFF;

    private static bool HasSymbol(string value) => AnyRune(value, (_, category) => category is
        UnicodeCategory.MathSymbol or UnicodeCategory.CurrencySymbol or UnicodeCategory.ModifierSymbol or UnicodeCategory.OtherSymbol);

    /// <summary>True if any code point matches; an unpaired surrogate counts as <see cref="UnicodeCategory.Surrogate"/>.</summary>
    private static bool AnyRune(string value, Func<int, UnicodeCategory, bool> match)
    {
        for (var i = 0; i < value.Length;)
        {
            if (Rune.DecodeFromUtf16(value.AsSpan(i), out var rune, out var used) != System.Buffers.OperationStatus.Done)
            {
                if (match(value[i], UnicodeCategory.Surrogate)) return true;
                i++;
                continue;
            }
            if (match(rune.Value, Rune.GetUnicodeCategory(rune))) return true;
            i += used;
        }
        return false;
    }

    /// <summary>
    /// A stricter form of RFC 5893 that needs no bidi-class table: in a domain with right-to-left characters, each
    /// label is either plain ASCII starting with a letter, or right-to-left letters, their marks, hyphens and
    /// digits (European or Arabic-Indic, not both), starting with a letter and ending with a letter or digit.
    /// </summary>
    private static bool PassesBidiRule(string unicodeDomain)
    {
        if (!unicodeDomain.EnumerateRunes().Any(r => IsRightToLeft(r.Value))) return true;
        foreach (var label in unicodeDomain.Split('.'))
        {
            var runes = label.EnumerateRunes().ToList();
            if (!runes.Any(r => IsRightToLeft(r.Value)))
            {
                if (runes.Count == 0 || !runes.All(r => r.Value is >= 'a' and <= 'z' or >= '0' and <= '9' or '-') || !Rune.IsLetter(runes[0])) return false;
                continue;
            }
            var letterOrDigit = false;
            bool european = false, arabic = false;
            for (var i = 0; i < runes.Count; i++)
            {
                var r = runes[i];
                var letter = IsRightToLeft(r.Value) && Rune.IsLetter(r);
                var mark = IsRightToLeft(r.Value) && Rune.GetUnicodeCategory(r) is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark;
                european |= r.Value is >= '0' and <= '9' or >= 0x06F0 and <= 0x06F9;
                arabic |= r.Value is >= 0x0660 and <= 0x0669;
                var digit = r.Value is >= '0' and <= '9' or >= 0x06F0 and <= 0x06F9 or >= 0x0660 and <= 0x0669;
                if (i == 0 && !letter) return false;
                if (!letter && !mark && !digit && r.Value != '-') return false;
                if (!mark) letterOrDigit = letter || digit;
            }
            if (!letterOrDigit || (european && arabic)) return false;
        }
        return true;
    }

    /// <summary>The blocks whose characters default to right-to-left (Hebrew to Arabic Extended, presentation forms, and their supplementary planes).</summary>
    private static bool IsRightToLeft(int codePoint) => codePoint is
        >= 0x0590 and <= 0x08FF or >= 0xFB1D and <= 0xFDFF or >= 0xFE70 and <= 0xFEFF or >= 0x10800 and <= 0x10FFF or >= 0x1E800 and <= 0x1EFFF;
}
