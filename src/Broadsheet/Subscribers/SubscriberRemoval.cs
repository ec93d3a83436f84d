using Broadsheet.Data;
using Microsoft.EntityFrameworkCore;

namespace Broadsheet.Subscribers;

/// <summary>Deletes subscribers with everything that names them (subscriptions, consent records, queued mail).</summary>
public static class SubscriberRemoval
{
    public static async Task DeleteAsync(BroadsheetDb db, IReadOnlyCollection<long> ids, CancellationToken ct)
    {
        var addresses = db.Subscribers.Where(s => ids.Contains(s.Id)).Select(s => s.Email);
        // Their mail (see SubscriberMail): by id, which includes mail to an address they had before or asked to move
        // to, and by address where it names nobody.
        await db.OutboundEmails.Where(m => (m.SubscriberId != null && ids.Contains(m.SubscriberId.Value)) || (m.SubscriberId == null && addresses.Contains(m.ToAddress))).ExecuteDeleteAsync(ct);
        await db.Consents.Where(c => ids.Contains(c.SubscriberId)).ExecuteDeleteAsync(ct);
        await db.Subscriptions.Where(s => ids.Contains(s.SubscriberId)).ExecuteDeleteAsync(ct);
        await db.Subscribers.Where(s => ids.Contains(s.Id)).ExecuteDeleteAsync(ct);
    }
}
