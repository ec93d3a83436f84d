using Broadsheet.Admin;
using Broadsheet.Data;
using Broadsheet.Delivery;
using Broadsheet.Newsletters;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace Broadsheet.Editions;

/// <summary>The console's list of editions, newest first, by newsletter and status, with their sent and failed counts.</summary>
[Authorize(Policy = Policies.Viewer, AuthenticationSchemes = ConsoleAuth.CookieScheme)]
public sealed class EditionsPageModel(BroadsheetDb db) : PageModel
{
    public const int PageSize = 50;

    /// <summary>One row of the list.</summary>
    public sealed record Row(Edition Edition, long Sent, long Failed);

    public List<Row> Rows { get; private set; } = [];
    public List<Newsletter> Newsletters { get; private set; } = [];
    public string? Newsletter { get; private set; }
    public EditionStatus? Status { get; private set; }
    public long? Next { get; private set; }

    public async Task OnGetAsync([FromQuery] string? newsletter, [FromQuery] string? status, [FromQuery] long? before, CancellationToken ct)
    {
        Newsletters = await db.Newsletters.AsNoTracking().OrderBy(n => n.IsArchived).ThenBy(n => n.SortOrder).ThenBy(n => n.Name).ToListAsync(ct);
        Newsletter = Newsletters.Any(n => n.Slug == newsletter) ? newsletter : null;
        Status = Enum.TryParse<EditionStatus>(status, true, out var s) ? s : null;

        var query = db.Editions.AsNoTracking().Include(e => e.Newsletter).AsQueryable();
        if (Newsletter is not null) query = query.Where(e => e.Newsletter.Slug == Newsletter);
        if (Status is { } st) query = query.Where(e => e.Status == st);
        if (before is { } b) query = query.Where(e => e.Id < b);
        var editions = await query.OrderByDescending(e => e.Id).Take(PageSize + 1).ToListAsync(ct);
        Next = editions.Count > PageSize ? editions[PageSize - 1].Id : null;
        editions = editions.Take(PageSize).ToList();

        var ids = editions.Select(e => e.Id).ToList();
        var counts = await db.Deliveries.Where(d => ids.Contains(d.EditionId) && (d.Status == DeliveryStatus.Sent || d.Status == DeliveryStatus.Failed))
            .GroupBy(d => new { d.EditionId, d.Status }).Select(g => new { g.Key.EditionId, g.Key.Status, Count = g.LongCount() }).ToListAsync(ct);
        long Count(long id, DeliveryStatus status) => counts.FirstOrDefault(c => c.EditionId == id && c.Status == status)?.Count ?? 0;
        Rows = editions.Select(e => new Row(e, Count(e.Id, DeliveryStatus.Sent), Count(e.Id, DeliveryStatus.Failed))).ToList();
    }

    public string PageLink(long? before) =>
        "/admin/editions?" + string.Join('&', new[]
        {
            Newsletter is null ? null : $"newsletter={Uri.EscapeDataString(Newsletter)}",
            Status is null ? null : $"status={Status}",
            before is null ? null : $"before={before}",
        }.Where(p => p is not null));
}
