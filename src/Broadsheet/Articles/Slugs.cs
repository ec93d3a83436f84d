using System.Globalization;
using System.Text;

namespace Broadsheet.Articles;

/// <summary>Readable URL slugs from headlines: lower-case ASCII words joined by hyphens.</summary>
public static class Slugs
{
    public static string From(string text, int maxLength = 80)
    {
        var builder = new StringBuilder();
        foreach (var c in text.Normalize(NormalizationForm.FormD))
        {
            if (CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.NonSpacingMark) continue;
            if (char.IsAsciiLetterOrDigit(c)) builder.Append(char.ToLowerInvariant(c));
            else if (c is '’' or '\'') continue;
            else if (builder.Length > 0 && builder[^1] != '-') builder.Append('-');
        }
        var slug = builder.ToString().Trim('-');
        if (slug.Length > maxLength) slug = slug[..maxLength].TrimEnd('-');
        return slug.Length == 0 ? "article" : slug;
    }
}
