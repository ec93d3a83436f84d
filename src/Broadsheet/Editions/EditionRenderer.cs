using System.Net;
using System.Text.Encodings.Web;
using System.Text.RegularExpressions;
using Broadsheet.Articles;
using Broadsheet.Data;
using Broadsheet.Site;
using Fluid;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Broadsheet.Editions;

/// <summary>
/// Renders an edition through its newsletter's Liquid template (or the built-in one) once, inlines the CSS, and
/// leaves slots for the per-subscriber fields. Templates run in <see cref="TemplateSandbox"/>: plain values only
/// (no .NET objects), no files, and limits on steps, nesting and the text they build. The subscriber fields
/// (<c>subscriber.name</c>, <c>subscriber.email</c>, <c>unsubscribe_url</c>, <c>preferences_url</c>) are slots filled
/// per message, so a template prints them as they are; filters on them are refused.
/// </summary>
public sealed partial class EditionRenderer(BroadsheetDb db, IOptions<SiteOptions> site, PublicLinks links)
{
    /// <summary>Limits on what a template may do; templates come from editors, so they are sandboxed.</summary>
    public static TemplateOptions SandboxOptions => TemplateSandbox.Options;

    public async Task<RenderedEdition> RenderAsync(Edition edition, CancellationToken ct)
    {
        var newsletter = edition.Newsletter ?? await db.Newsletters.AsNoTracking().SingleAsync(n => n.Id == edition.NewsletterId, ct);
        var (htmlSource, textSource) = await SourcesAsync(newsletter.TemplateId, ct);
        return await RenderAsync(edition, newsletter, htmlSource, textSource, ct);
    }

    /// <summary>Renders with the given sources rather than the newsletter's: the console checks and previews templates before saving them.</summary>
    public async Task<RenderedEdition> RenderAsync(Edition edition, Newsletters.Newsletter newsletter, string htmlSource, string textSource, CancellationToken ct)
    {
        var articles = await ArticlesAsync(edition.ArticleIds, ct);
        var webUrl = links.Absolute(PublicLinks.EditionPath(newsletter.Slug, edition.Id));

        var model = new Dictionary<string, object?>
        {
            ["edition"] = new Dictionary<string, object?>
            {
                ["subject"] = edition.Subject,
                ["preheader"] = edition.Preheader,
                ["intro_html"] = edition.IntroHtml,
                ["intro_text"] = edition.IntroMarkdown,
                ["web_url"] = webUrl,
                ["articles"] = articles,
                ["date"] = (edition.StartedAt ?? edition.CreatedAt).ToString("d MMMM yyyy", System.Globalization.CultureInfo.InvariantCulture),
            },
            ["newsletter"] = new Dictionary<string, object?>
            {
                ["name"] = newsletter.Name,
                ["description"] = newsletter.Description,
                ["url"] = links.Absolute(PublicLinks.NewslettersPath()),
            },
            ["site"] = new Dictionary<string, object?>
            {
                ["name"] = site.Value.Name,
                ["url"] = links.BaseUrl,
                ["postal_address"] = site.Value.PostalAddress,
            },
            ["subscriber"] = new Dictionary<string, object?>
            {
                ["name"] = PersonalFields.Markers["name"],
                ["email"] = PersonalFields.Markers["email"],
            },
            ["unsubscribe_url"] = PersonalFields.Markers["unsubscribe_url"],
            ["preferences_url"] = PersonalFields.Markers["preferences_url"],
        };

        var html = Render(htmlSource, model, HtmlEncoder.Default);
        // Inlining is done on the rendered edition, once: it costs milliseconds, far too much per message.
        html = PreMailer.Net.PreMailer.MoveCssInline(html, removeStyleElements: true, stripIdAndClassAttributes: false).Html;
        var text = Render(textSource, model, NullEncoder.Default);
        return new RenderedEdition(edition.Subject, edition.Preheader, webUrl, new PersonalFields(html, html: true), new PersonalFields(text, html: false));
    }

    /// <summary>Parses a template and checks it against the sandbox, returning what is wrong when it cannot be used.</summary>
    public static bool TryParse(string source, out IFluidTemplate? template, out string? error) =>
        TemplateSandbox.TryParse(source, out template, out error);

    /// <summary>Renders one part; a template at fault throws <see cref="EditionTemplateException"/> with a message for its editor.</summary>
    private static string Render(string source, Dictionary<string, object?> model, TextEncoder encoder)
    {
        if (!TryParse(source, out var template, out var error))
            throw new EditionTemplateException($"The edition template does not parse: {error}");
        var rendered = TemplateSandbox.Render(template!, model, encoder);
        var slots = PersonalFields.Markers.Values.Sum(m => Occurrences(rendered, m));
        if (AnyMarker().Count(rendered) != slots)
            throw new EditionTemplateException("The subscriber fields (subscriber.name, subscriber.email, unsubscribe_url, preferences_url) are filled in per message: print them as they are, without filters.");
        return rendered;
    }

    private static int Occurrences(string text, string value)
    {
        var count = 0;
        for (var i = text.IndexOf(value, StringComparison.Ordinal); i >= 0; i = text.IndexOf(value, i + value.Length, StringComparison.Ordinal)) count++;
        return count;
    }

    private async Task<(string Html, string Text)> SourcesAsync(int? templateId, CancellationToken ct)
    {
        if (templateId is { } id && await db.EditionTemplates.AsNoTracking().FirstOrDefaultAsync(t => t.Id == id, ct) is { } t)
            return (t.HtmlSource, t.TextSource);
        return (BuiltIn("edition.html.liquid"), BuiltIn("edition.txt.liquid"));
    }

    /// <summary>The built-in template files, which are also the starting point of a new template in the console.</summary>
    public static string BuiltIn(string file)
    {
        var assembly = typeof(EditionRenderer).Assembly;
        var resource = assembly.GetManifestResourceNames().Single(n => n.EndsWith("Editions.Templates." + file, StringComparison.Ordinal));
        using var reader = new StreamReader(assembly.GetManifestResourceStream(resource)!);
        return reader.ReadToEnd();
    }

    private async Task<List<Dictionary<string, object?>>> ArticlesAsync(List<int> ids, CancellationToken ct)
    {
        var found = await db.Articles.AsNoTracking().Where(a => ids.Contains(a.Id)).ToDictionaryAsync(a => a.Id, ct);
        return ids.Where(found.ContainsKey).Select(id => found[id]).Select(a => new Dictionary<string, object?>
        {
            ["section"] = a.Section,
            ["headline"] = a.Headline,
            ["standfirst"] = Standfirst(a),
            ["url"] = links.Absolute(PublicLinks.ArticlePath(a.Slug)),
        }).ToList();
    }

    /// <summary>The article's standfirst, or else the text of its first paragraph, cut at a word near 300 characters.</summary>
    public static string Standfirst(Article a)
    {
        if (!string.IsNullOrWhiteSpace(a.Standfirst)) return a.Standfirst.Trim();
        // The first paragraph with text: a body may open with an image or an empty paragraph.
        var text = FirstParagraph().Matches(a.BodyHtml)
            .Select(m => Spaces().Replace(WebUtility.HtmlDecode(Tags().Replace(m.Groups[1].Value, t => t.Value.StartsWith("<br", StringComparison.OrdinalIgnoreCase) ? " " : "")), " ").Trim())
            .FirstOrDefault(t => t.Length > 0) ?? "";
        if (text.Length <= 300) return text;
        var cut = text.LastIndexOf(' ', 300);
        if (cut <= 200) cut = char.IsHighSurrogate(text[299]) ? 299 : 300;
        return text[..cut].TrimEnd(',', ';', ':', ' ') + "…";
    }

    [GeneratedRegex(@"<p>(.*?)</p>", RegexOptions.Singleline)]
    private static partial Regex FirstParagraph();

    [GeneratedRegex(@"<[^>]+>")]
    private static partial Regex Tags();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Spaces();

    /// <summary>A subscriber-field marker, also changed by a filter (other case, URL-encoded).</summary>
    [GeneratedRegex(@"(%%|%25%25)bs(:|%3a)(name|email|unsubscribe|preferences)", RegexOptions.IgnoreCase)]
    private static partial Regex AnyMarker();
}
