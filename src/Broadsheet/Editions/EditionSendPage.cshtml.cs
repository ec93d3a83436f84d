using Broadsheet.Admin;
using Broadsheet.Data;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace Broadsheet.Editions;

/// <summary>
/// The changes of an edition's send state: "send now" after a confirmation that shows the audience, and unschedule,
/// pause, resume, cancel and retry failed, each back to the edition page with what happened.
/// </summary>
[Authorize(Policy = Policies.Viewer, AuthenticationSchemes = ConsoleAuth.CookieScheme)]
[ViewersReadOnly]
public sealed class EditionSendPageModel(BroadsheetDb db, EditionActions actions) : PageModel
{
    public Edition Edition { get; private set; } = null!;
    public long Audience { get; private set; }
    public string? SegmentName { get; private set; }
    public bool CanSend => Edition.Status is EditionStatus.Draft or EditionStatus.Scheduled;

    public async Task<IActionResult> OnGetAsync(long id, CancellationToken ct)
    {
        var edition = await db.Editions.AsNoTracking().Include(e => e.Newsletter).FirstOrDefaultAsync(e => e.Id == id, ct);
        if (edition is null) return NotFound();
        Edition = edition;
        Audience = await Delivery.DeliveryAudience.CountAsync(db, edition, ct);
        SegmentName = edition.SegmentId is { } s ? await db.Segments.Where(x => x.Id == s).Select(x => x.Name).FirstOrDefaultAsync(ct) : null;
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(long id, CancellationToken ct) =>
        await DoneAsync(id, "send", await actions.SendNowAsync(id, ct), "sending", ct);

    public async Task<IActionResult> OnPostUnscheduleAsync(long id, CancellationToken ct) =>
        await DoneAsync(id, "unschedule", await actions.UnscheduleAsync(id, ct), "unscheduled", ct);

    public async Task<IActionResult> OnPostPauseAsync(long id, CancellationToken ct) =>
        await DoneAsync(id, "pause", await actions.PauseAsync(id, ct), "paused", ct);

    public async Task<IActionResult> OnPostResumeAsync(long id, CancellationToken ct) =>
        await DoneAsync(id, "resume", await actions.ResumeAsync(id, ct), "resumed", ct);

    public async Task<IActionResult> OnPostCancelAsync(long id, bool confirm, CancellationToken ct) =>
        confirm ? await DoneAsync(id, "cancel", await actions.CancelAsync(id, ct), "cancelled", ct) : Redirect($"/admin/editions/{id}?done=unconfirmed");

    public async Task<IActionResult> OnPostRetryAsync(long id, CancellationToken ct)
    {
        var queued = await actions.RetryFailedAsync(id, ct);
        return await DoneAsync(id, "retry-failed", queued > 0, "retried", ct, $"{queued} recipient(s)");
    }

    /// <summary>Records a change that happened in the audit log and returns to the edition page saying what happened.</summary>
    private async Task<IActionResult> DoneAsync(long id, string action, bool changed, string notice, CancellationToken ct, string? details = null)
    {
        if (changed)
        {
            AuditLog.Record(db, User, "edition." + action, id.ToString(), details);
            await db.SaveChangesAsync(ct);
        }
        else if (!await db.Editions.AnyAsync(e => e.Id == id, ct))
        {
            return NotFound();
        }
        return Redirect($"/admin/editions/{id}?done={(changed ? notice : "refused")}");
    }
}
