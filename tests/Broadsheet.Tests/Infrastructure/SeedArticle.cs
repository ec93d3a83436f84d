namespace Broadsheet.Tests.Infrastructure;

/// <summary>A related link as the seed shows it: "&gt;&gt; headline | Section".</summary>
public sealed record SeedRelated(string Headline, string Section);

/// <summary>
/// The seed article page taken apart: headline, body paragraphs, related links, and the sign-up module's lines in
/// the order the seed gives them (heading, label, invalid, button, wait, success ×3, failure ×3, existing ×3).
/// </summary>
public sealed record SeedArticle(string Headline, List<string> Paragraphs, List<SeedRelated> Related, List<string> ModuleLines)
{
    public string Heading => ModuleLines[0];
    public string EmailLabel => ModuleLines[1];
    public string InvalidEmail => ModuleLines[2];
    public string Submit => ModuleLines[3];
    public string Wait => ModuleLines[4];
    public string SuccessTitle => ModuleLines[5];
    public string SuccessMore => ModuleLines[6];
    public string SuccessLink => ModuleLines[7];
    public string FailureTitle => ModuleLines[8];
    public string FailureMore => ModuleLines[9];
    public string FailureRetry => ModuleLines[10];
    public string ExistingTitle => ModuleLines[11];
    public string ExistingMore => ModuleLines[12];
    public string ExistingClose => ModuleLines[13];

    public static SeedArticle Parse(string text)
    {
        var lines = text.Replace("\r\n", "\n").Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
        var headline = lines[0];
        var moduleStart = lines.FindIndex(l => l.Contains("newsletter", StringComparison.OrdinalIgnoreCase) && l.Length < 80);
        var moduleEnd = lines.FindIndex(moduleStart, l => l == "Close");
        if (moduleStart < 0 || moduleEnd < 0) throw new InvalidOperationException("The seed has no sign-up module.");
        var module = lines.GetRange(moduleStart, moduleEnd - moduleStart + 1);

        var related = new List<SeedRelated>();
        var paragraphs = new List<string>();
        for (var i = 1; i < lines.Count; i++)
        {
            if (i >= moduleStart && i <= moduleEnd) continue;
            if (lines[i].StartsWith(">>"))
            {
                foreach (var item in lines[i].Split('■'))
                {
                    var parts = item.Trim().TrimStart('>').Trim().Split('|'); // the seed uses no-break spaces around these
                    related.Add(new SeedRelated(parts[0].Trim(), parts[1].Trim()));
                }
                continue;
            }
            paragraphs.Add(lines[i]);
        }
        return new SeedArticle(headline, paragraphs, related, module);
    }
}
