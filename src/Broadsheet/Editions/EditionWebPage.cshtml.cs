using Broadsheet.Data;
using Broadsheet.Site;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Caching.Memory;

namespace Broadsheet.Editions;

/// <summary>
/// The web version of an edition: the message as it was sent, filled in for nobody in particular (no address, links
/// to the newsletters page), shown in a sandboxed frame so its template's styles and markup stay its own.
/// </summary>
public sealed class EditionWebPageModel(BroadsheetDb db, EditionRenderer renderer, PublicLinks links, IMemoryCache cache, ILogger<EditionWebPageModel> logger) : PageModel
{
    /// <summary>
    /// Rendering costs milliseconds (Liquid and CSS inlining) and "read it in your browser" clicks come in a burst
    /// when a send goes out; an edition that went out no longer changes, so its page is kept a few minutes (a
    /// template edit shows after that). Whether the edition may be shown is still checked on every request.
    /// </summary>
    private static readonly TimeSpan KeepFor = TimeSpan.FromMinutes(5);

    /// <summary>Stand-ins for the reader's fields: the footer reads "sent to you", a greeting "Dear reader".</summary>
    public const string NeutralEmail = "you";
    public const string NeutralName = "reader";

    public Edition Edition { get; private set; } = null!;
    /// <summary>The message, or null when its template is broken (the page then says so instead).</summary>
    public string? Html { get; private set; }
    public DateTime Date { get; private set; }

    public async Task<IActionResult> OnGetAsync(string slug, long id, CancellationToken ct)
    {
        var edition = await PublicEditions.Query(db, slug).Include(e => e.Newsletter).FirstOrDefaultAsync(e => e.Id == id, ct);
        if (edition is null) return NotFound();
        Edition = edition;
        Date = DateTime.SpecifyKind(edition.StartedAt ?? edition.CreatedAt, DateTimeKind.Utc);
        var key = ("edition-web", id);
        if (!cache.TryGetValue(key, out string? html))
        {
            RenderedEdition rendered;
            try
            {
                rendered = await renderer.RenderAsync(edition, ct);
            }
            catch (EditionTemplateException e)
            {
                // An editor's template broke after the edition went out; readers get the page without the message.
                logger.LogWarning("Web version of edition {Edition} cannot be rendered: {Error}", id, e.Message);
                Response.StatusCode = StatusCodes.Status500InternalServerError;
                return Page();
            }
            var newsletters = links.Absolute(PublicLinks.NewslettersPath());
            // Links inside the frame open in the whole window, not inside the frame.
            html = BaseTargetTop(rendered.Html(new EditionRecipient(NeutralEmail, NeutralName, newsletters, newsletters)));
            cache.Set(key, html, KeepFor);
        }
        Html = html;
        // The frame's document inherits this policy: its inlined styles must apply; scripts stay off (the sandbox too).
        Response.Headers.ContentSecurityPolicy = "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: https:; frame-ancestors 'self'; form-action 'self'";
        return Page();
    }

    private static string BaseTargetTop(string html)
    {
        var head = html.IndexOf("<head>", StringComparison.OrdinalIgnoreCase);
        return head < 0 ? "<base target=\"_top\">" + html : html.Insert(head + "<head>".Length, "<base target=\"_top\">");
    }
}
