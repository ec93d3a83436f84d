using Broadsheet.Data;
using Broadsheet.Editions;
using Broadsheet.Subscribers;
using Microsoft.EntityFrameworkCore;

namespace Broadsheet.Delivery;

/// <summary>
/// Who an edition goes to: the newsletter's subscriptions that were active when the send started, of subscribers who
/// may be mailed at all (not unsubscribed from everything, not suppressed), narrowed by the edition's segment through
/// the one filter builder the console uses.
/// </summary>
public static class DeliveryAudience
{
    /// <summary>One recipient as written into a delivery record.</summary>
    public sealed class Member
    {
        public long SubscriberId { get; init; }
        public long SubscriptionId { get; init; }
        public required string Email { get; init; }
    }

    /// <summary>The audience query, or null when the edition names a segment that no longer exists.</summary>
    public static async Task<IQueryable<Member>?> QueryAsync(BroadsheetDb db, Edition edition, CancellationToken ct)
    {
        IQueryable<Subscriber> subscribers = db.Subscribers;
        if (edition.SegmentId is { } segmentId)
        {
            var filter = await db.Segments.Where(s => s.Id == segmentId).Select(s => s.Filter).FirstOrDefaultAsync(ct);
            if (filter is null) return null;
            subscribers = await SubscriberFilter.FromJson(filter).ApplyAsync(db, ct);
        }
        var newsletterId = edition.NewsletterId;
        var startedAt = edition.StartedAt ?? DateTime.UtcNow;
        return from s in subscribers
               where s.Status == SubscriberStatus.Active
               join x in db.Subscriptions on s.Id equals x.SubscriberId
               where x.NewsletterId == newsletterId && x.Status == SubscriptionStatus.Active && (x.ConfirmedAt ?? x.CreatedAt) <= startedAt
               select new Member { SubscriberId = s.Id, SubscriptionId = x.Id, Email = s.Email };
    }

    /// <summary>How many the audience has now (0 when its segment is gone).</summary>
    public static async Task<long> CountAsync(BroadsheetDb db, Edition edition, CancellationToken ct) =>
        await QueryAsync(db, edition, ct) is { } query ? await query.LongCountAsync(ct) : 0;
}
