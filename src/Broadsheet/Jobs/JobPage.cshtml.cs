using Broadsheet.Admin;
using Broadsheet.Data;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace Broadsheet.Jobs;

/// <summary>One job's progress (the page refreshes itself while it runs) and its Cancel button.</summary>
[Authorize(Policy = Policies.Viewer, AuthenticationSchemes = ConsoleAuth.CookieScheme)]
public sealed class JobPageModel(BroadsheetDb db) : PageModel
{
    public Job Job { get; private set; } = null!;
    public bool Running => Job.Status is JobStatus.Queued or JobStatus.Running;

    public async Task<IActionResult> OnGetAsync(long id, CancellationToken ct)
    {
        var job = await db.Jobs.AsNoTracking().FirstOrDefaultAsync(j => j.Id == id, ct);
        if (job is null) return NotFound();
        Job = job;
        if (Running) Response.Headers["Refresh"] = "2"; // a progress view that needs no script
        return Page();
    }

    public async Task<IActionResult> OnPostCancelAsync(long id, CancellationToken ct)
    {
        if (!Policies.CanEdit(User)) return Forbid();
        await db.Jobs.Where(j => j.Id == id && (j.Status == JobStatus.Queued || j.Status == JobStatus.Running))
            .ExecuteUpdateAsync(s => s.SetProperty(j => j.CancelRequested, true), ct);
        AuditLog.Record(db, User, "job.cancel", id.ToString());
        await db.SaveChangesAsync(ct);
        return Redirect($"/admin/jobs/{id}");
    }
}
