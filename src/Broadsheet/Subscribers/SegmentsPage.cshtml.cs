using Broadsheet.Admin;
using Broadsheet.Data;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace Broadsheet.Subscribers;

/// <summary>Saved segments with their live count.</summary>
[Authorize(Policy = Policies.Viewer, AuthenticationSchemes = ConsoleAuth.CookieScheme)]
public sealed class SegmentsPageModel(BroadsheetDb db) : PageModel
{
    public List<(Segment Segment, SubscriberFilter Filter, long Count)> Rows { get; } = [];

    public Task OnGetAsync(CancellationToken ct) => SerialReads.RunAsync(db, async () =>
    {
        foreach (var segment in await db.Segments.AsNoTracking().OrderBy(s => s.Name).ToListAsync(ct))
        {
            var filter = SubscriberFilter.FromJson(segment.Filter);
            Rows.Add((segment, filter, await (await filter.ApplyAsync(db, ct)).LongCountAsync(ct)));
        }
    }, ct);

    public async Task<IActionResult> OnPostDeleteAsync(int id, CancellationToken ct)
    {
        if (!Policies.CanEdit(User)) return Forbid();
        var segment = await db.Segments.FindAsync([id], ct);
        if (segment is not null)
        {
            db.Segments.Remove(segment);
            AuditLog.Record(db, User, "segment.delete", segment.Name);
            await db.SaveChangesAsync(ct);
        }
        return Redirect("/admin/segments");
    }
}
