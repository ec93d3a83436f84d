using Broadsheet.Articles;
using Broadsheet.Data;
using Broadsheet.Newsletters;
using Microsoft.EntityFrameworkCore;

namespace Broadsheet.Editions;

/// <summary>
/// Checks an edition template before it is saved: both parts must parse and render a sample edition within the
/// sandbox's limits (steps, recursion). Also renders that sample for the template editor's preview.
/// </summary>
public static class TemplateCheck
{
    public const string Html = "edition.html.liquid";
    public const string Text = "edition.txt.liquid";

    /// <summary>Errors by field ("html", "text"); empty when the template may be saved.</summary>
    public static async Task<Dictionary<string, string[]>> CheckAsync(BroadsheetDb db, EditionRenderer renderer, string html, string text, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (!EditionRenderer.TryParse(html, out _, out var htmlError)) errors["html"] = [$"The HTML template does not parse: {htmlError}"];
        if (!EditionRenderer.TryParse(text, out _, out var textError)) errors["text"] = [$"The text template does not parse: {textError}"];
        if (errors.Count > 0) return errors;

        // Each part is tried beside the built-in other part, so the error lands beside the field that caused it.
        if (await FailureAsync(db, renderer, html, EditionRenderer.BuiltIn(Text), ct) is { } h) errors["html"] = [$"The HTML template fails on a sample edition: {h}"];
        if (await FailureAsync(db, renderer, EditionRenderer.BuiltIn(Html), text, ct) is { } t) errors["text"] = [$"The text template fails on a sample edition: {t}"];
        return errors;
    }

    /// <summary>A sample edition (the three newest articles) rendered with the given sources.</summary>
    public static async Task<RenderedEdition> RenderSampleAsync(BroadsheetDb db, EditionRenderer renderer, string html, string text, CancellationToken ct)
    {
        var newsletter = new Newsletter { Slug = "sample", Name = "Sample newsletter", Description = "A newsletter to try templates on." };
        var intro = "This is a **sample** intro, written in Markdown by an editor.";
        var edition = new Edition
        {
            Subject = "A sample edition", Preheader = "The line mail clients show after the subject", IntroMarkdown = intro,
            IntroHtml = ArticleBody.RenderFragment(intro), Newsletter = newsletter, CreatedBy = "sample", CreatedAt = DateTime.UtcNow,
            ArticleIds = await db.Articles.OrderByDescending(a => a.PublishedAt).ThenByDescending(a => a.Id).Take(3).Select(a => a.Id).ToListAsync(ct),
        };
        return await renderer.RenderAsync(edition, newsletter, html, text, ct);
    }

    private static async Task<string?> FailureAsync(BroadsheetDb db, EditionRenderer renderer, string html, string text, CancellationToken ct)
    {
        try
        {
            await RenderSampleAsync(db, renderer, html, text, ct);
            return null;
        }
        catch (Exception ex) when (ex is not OperationCanceledException) // whatever an editor's template throws is its error
        {
            return ex.Message;
        }
    }
}
