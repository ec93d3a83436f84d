using Broadsheet.Data;
using Broadsheet.Mail;
using Broadsheet.Subscribers;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace Broadsheet.Admin;

/// <summary>The console's front page: who signs up, per newsletter, and how the mail queue is doing.</summary>
[Authorize(Policy = Policies.Viewer)]
public sealed class DashboardPageModel(BroadsheetDb db) : PageModel
{
    public sealed record NewsletterRow(string Slug, string Name, int Active, int Pending, int Unsubscribed);

    public int Subscribers { get; private set; }
    public int NewLast7Days { get; private set; }
    public List<NewsletterRow> Newsletters { get; private set; } = [];
    public Dictionary<OutboundEmailStatus, int> Mail { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken ct)
    {
        var since = DateTime.UtcNow.AddDays(-7);
        Subscribers = await db.Subscribers.CountAsync(ct);
        NewLast7Days = await db.Subscribers.CountAsync(s => s.CreatedAt >= since, ct);
        var counts = await db.Subscriptions.GroupBy(s => new { s.NewsletterId, s.Status })
            .Select(g => new { g.Key.NewsletterId, g.Key.Status, Count = g.Count() }).ToListAsync(ct);
        Newsletters = [.. (await db.Newsletters.AsNoTracking().Where(n => !n.IsArchived).OrderBy(n => n.SortOrder).ThenBy(n => n.Name).ToListAsync(ct))
            .Select(n => new NewsletterRow(n.Slug, n.Name,
                counts.Where(c => c.NewsletterId == n.Id && c.Status == SubscriptionStatus.Active).Sum(c => c.Count),
                counts.Where(c => c.NewsletterId == n.Id && c.Status == SubscriptionStatus.Pending).Sum(c => c.Count),
                counts.Where(c => c.NewsletterId == n.Id && c.Status == SubscriptionStatus.Unsubscribed).Sum(c => c.Count)))];
        Mail = await db.OutboundEmails.GroupBy(m => m.Status).Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(g => g.Key, g => g.Count, ct);
    }
}
