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
/// leaves slots for the per-subscriber fields. Templates only see plain values (no .NET objects), have a step
/// limit and no file access, so an editor's template cannot reach anything else.
/// </summary>
public sealed partial class EditionRenderer(BroadsheetDb db, IOptions<SiteOptions> site, PublicLinks links)
{
    private static readonly FluidParser Parser = new();

    /// <summary>Limits on what a template may do; templates come from editors, so they are sandboxed.</summary>
    public static TemplateOptions SandboxOptions { get; } = new() { MaxSteps = 1_000_000, MaxRecursion = 20 };

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

    /// <summary>Parses a template, returning the parser's error message when it does not parse.</summary>
    public static bool TryParse(string source, out IFluidTemplate? template, out string? error) =>
        Parser.TryParse(source, out template, out error);

    private static string Render(string source, Dictionary<string, object?> model, TextEncoder encoder)
    {
        if (!TryParse(source, out var template, out var error))
            throw new InvalidOperationException($"The edition template does not parse: {error}");
        var context = new TemplateContext(SandboxOptions);
        foreach (var (key, value) in model) context.SetValue(key, value);
        return template!.Render(context, encoder);
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
        var first = FirstParagraph().Match(a.BodyHtml);
        if (!first.Success) return "";
        var text = WebUtility.HtmlDecode(Tags().Replace(first.Groups[1].Value, "")).Trim();
        if (text.Length <= 300) return text;
        var cut = text.LastIndexOf(' ', 300);
        return text[..(cut > 200 ? cut : 300)].TrimEnd(',', ';', ':', ' ') + "…";
    }

    [GeneratedRegex(@"<p>(.*?)</p>", RegexOptions.Singleline)]
    private static partial Regex FirstParagraph();

    [GeneratedRegex(@"<[^>]+>")]
    private static partial Regex Tags();
}
