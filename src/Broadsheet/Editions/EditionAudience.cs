using Broadsheet.Data;
using Broadsheet.Subscribers;
using Microsoft.EntityFrameworkCore;

namespace Broadsheet.Editions;

/// <summary>
/// How many readers an edition would go to if sent now: active subscribers with an active subscription to its
/// newsletter, narrowed by its segment. Shown before "send now"; the send itself also skips anyone suppressed.
/// </summary>
public static class EditionAudience
{
    public static async Task<long> CountAsync(BroadsheetDb db, Edition edition, CancellationToken ct)
    {
        var segment = edition.SegmentId is { } id ? await db.Segments.AsNoTracking().FirstOrDefaultAsync(s => s.Id == id, ct) : null;
        var query = segment is null ? db.Subscribers.AsQueryable() : await SubscriberFilter.FromJson(segment.Filter).ApplyAsync(db, ct);
        return await query.Where(s => s.Status == SubscriberStatus.Active
                && s.Subscriptions.Any(x => x.NewsletterId == edition.NewsletterId && x.Status == SubscriptionStatus.Active))
            .LongCountAsync(ct);
    }
}
