using Broadsheet.Admin;
using Broadsheet.Data;
using Broadsheet.Jobs;
using Broadsheet.Newsletters;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace Broadsheet.Subscribers;

/// <summary>The console's subscriber list: search, filters, sorting, keyset pages, and bulk actions on the filter result.</summary>
[Authorize(Policy = Policies.Viewer, AuthenticationSchemes = ConsoleAuth.CookieScheme)]
public sealed class SubscribersPageModel(BroadsheetDb db, BulkActions bulk) : PageModel
{
    public const int PageSize = 50;

    public SubscriberFilter Filter { get; private set; } = new();
    public SubscriberSort Sort { get; private set; }
    public List<Subscriber> Rows { get; private set; } = [];
    public Dictionary<long, List<(string Newsletter, SubscriptionStatus Status)>> Memberships { get; private set; } = [];
    public List<Newsletter> Newsletters { get; private set; } = [];
    public List<Segment> Segments { get; private set; } = [];
    public List<string> Sections { get; private set; } = [];
    /// <summary>Counting stops here: an exact count of a million rows would cost more than the page itself.</summary>
    public const int CountUpTo = 10_000;

    public long Total { get; private set; }
    public string TotalText => Total > CountUpTo ? $"More than {CountUpTo:N0}" : Total.ToString("N0");
    public string? Next { get; private set; }
    public string? Message { get; private set; }

    public Task OnGetAsync([FromQuery] string? after, [FromQuery] string? sort, [FromQuery] int? segment, CancellationToken ct) =>
        SerialReads.RunAsync(db, () => LoadAsync(after, sort, segment, ct), ct);

    private async Task LoadAsync(string? after, string? sort, int? segment, CancellationToken ct)
    {
        Filter = segment is int id && await db.Segments.FindAsync([id], ct) is { } saved
            ? SubscriberFilter.FromJson(saved.Filter)
            : SubscriberFilter.FromQuery(Request.Query);
        Sort = Enum.TryParse<SubscriberSort>(sort, true, out var s) ? s : SubscriberSort.Newest;
        var query = await Filter.ApplyAsync(db, ct);
        Total = await query.Take(CountUpTo + 1).LongCountAsync(ct);
        (Rows, Next) = await SubscriberPage.ReadAsync(db, query, new(Sort, after, PageSize, Few: Total <= CountUpTo), ct);

        var ids = Rows.Select(r => r.Id).ToList();
        Memberships = (await db.Subscriptions.AsNoTracking().Where(x => ids.Contains(x.SubscriberId))
                .Select(x => new { x.SubscriberId, x.Newsletter.Name, x.Status }).ToListAsync(ct))
            .GroupBy(x => x.SubscriberId).ToDictionary(g => g.Key, g => g.Select(x => (x.Name, x.Status)).ToList());
        Newsletters = await db.Newsletters.AsNoTracking().OrderBy(n => n.Name).ToListAsync(ct);
        Segments = await db.Segments.AsNoTracking().OrderBy(x => x.Name).ToListAsync(ct);
        Sections = await db.Articles.Select(a => a.Section).Distinct().OrderBy(x => x).ToListAsync(ct);
    }

    public async Task<IActionResult> OnPostBulkAsync(string action, string? newsletter, CancellationToken ct)
    {
        if (!Policies.CanEdit(User)) return Forbid();
        var kind = action switch
        {
            "add" => JobKind.AddToNewsletter,
            "unsubscribe" => JobKind.Unsubscribe,
            "delete" => JobKind.Delete,
            _ => (JobKind?)null,
        };
        var filter = SubscriberFilter.FromQuery(Request.Query);
        if (kind is null || (kind == JobKind.AddToNewsletter && string.IsNullOrEmpty(newsletter))
            || (newsletter is not null && newsletter.Length > 0 && !await db.Newsletters.AnyAsync(n => n.Slug == newsletter, ct)))
            return BadRequest();
        var job = await bulk.QueueAsync(db, kind.Value, filter, string.IsNullOrEmpty(newsletter) ? null : newsletter, Policies.Actor(User), ct);
        await db.SaveChangesAsync(ct);
        bulk.Wake();
        return Redirect($"/admin/jobs/{job.Id}");
    }

    public async Task<IActionResult> OnPostSegmentAsync(string? name, CancellationToken ct)
    {
        if (!Policies.CanEdit(User)) return Forbid();
        name = (name ?? "").Trim();
        if (name.Length is 0 or > 200) return BadRequest();
        var filter = SubscriberFilter.FromQuery(Request.Query);
        var segment = new Segment { Name = name, Filter = filter.ToJson(), CreatedBy = Policies.Actor(User), CreatedAt = DateTime.UtcNow };
        db.Segments.Add(segment);
        AuditLog.Record(db, User, "segment.create", name, segment.Filter);
        await db.SaveChangesAsync(ct);
        return Redirect($"/admin/segments");
    }

    public string PageLink(string? after) =>
        $"/admin/subscribers?{Filter.ToQuery()}&sort={Sort}" + (after is null ? "" : $"&after={Uri.EscapeDataString(after)}");
}
