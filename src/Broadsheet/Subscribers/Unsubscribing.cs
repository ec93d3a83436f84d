using Broadsheet.Data;
using Microsoft.EntityFrameworkCore;

namespace Broadsheet.Subscribers;

/// <summary>
/// Ends subscriptions the one way everywhere (unsubscribe links, the one-click header, the preference page, the
/// console): the subscription becomes unsubscribed and its current consent is marked withdrawn, in one SaveChanges.
/// Repeating it changes nothing.
/// </summary>
public sealed class Unsubscribing(BroadsheetDb db)
{
    /// <summary>Unsubscribes one subscription; false when it does not exist.</summary>
    public async Task<bool> OneAsync(long subscriptionId, CancellationToken ct)
    {
        var sub = await db.Subscriptions.FirstOrDefaultAsync(s => s.Id == subscriptionId, ct);
        if (sub is null) return false;
        await EndAsync([sub], ct);
        await db.SaveChangesAsync(ct);
        return true;
    }

    /// <summary>Unsubscribes the subscriber from every newsletter and marks them unsubscribed from everything.</summary>
    public async Task AllAsync(long subscriberId, CancellationToken ct)
    {
        var subscriber = await db.Subscribers.Include(s => s.Subscriptions).FirstOrDefaultAsync(s => s.Id == subscriberId, ct);
        if (subscriber is null) return;
        await EndAsync(subscriber.Subscriptions, ct);
        if (subscriber.Status == SubscriberStatus.Active) subscriber.Status = SubscriberStatus.Unsubscribed;
        await db.SaveChangesAsync(ct);
    }

    private async Task EndAsync(IEnumerable<Subscription> subscriptions, CancellationToken ct)
    {
        var now = DateTime.UtcNow;
        var ending = subscriptions.Where(s => s.Status != SubscriptionStatus.Unsubscribed).ToList();
        var consentIds = ending.Where(s => s.CurrentConsentId is not null).Select(s => s.CurrentConsentId!.Value).ToList();
        foreach (var consent in await db.Consents.Where(c => consentIds.Contains(c.Id) && c.WithdrawnAt == null).ToListAsync(ct))
            consent.WithdrawnAt = now;
        foreach (var sub in ending)
        {
            sub.Status = SubscriptionStatus.Unsubscribed;
            sub.UnsubscribedAt = now;
        }
    }
}
