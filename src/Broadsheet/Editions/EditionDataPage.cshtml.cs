using Broadsheet.Admin;
using Broadsheet.Data;
using Broadsheet.Delivery;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace Broadsheet.Editions;

/// <summary>
/// What the edition page loads besides itself, for signed-in console users only: the preview documents of its
/// frames (<c>/preview?format=html|text</c>) and the progress JSON its script polls (<c>/progress</c>).
/// </summary>
[Authorize(Policy = Policies.Viewer, AuthenticationSchemes = ConsoleAuth.CookieScheme)]
public sealed class EditionDataPageModel(BroadsheetDb db, EditionRenderer renderer, Site.PublicLinks links, DeliveryCounts counts) : PageModel
{
    public async Task<IActionResult> OnGetPreviewAsync(long id, [FromQuery] string? format, CancellationToken ct)
    {
        var edition = await db.Editions.AsNoTracking().Include(e => e.Newsletter).FirstOrDefaultAsync(e => e.Id == id, ct);
        if (edition is null) return NotFound();
        try
        {
            return EditionPreview.Result(Response, await renderer.RenderAsync(edition, ct), EditionPreview.SampleReader(links), format);
        }
        catch (Exception ex) when (ex is not OperationCanceledException) // a template is editors' code: show what it threw
        {
            return EditionPreview.Failure(Response, ex);
        }
    }

    public async Task<IActionResult> OnGetProgressAsync(long id, CancellationToken ct)
    {
        var progress = await EditionProgress.ReadAsync(db, counts, id, ct);
        if (progress is null) return NotFound();
        Response.Headers.CacheControl = "no-store";
        return new JsonResult(new { status = progress.Status, fields = ProgressView.Fields(progress) });
    }
}
