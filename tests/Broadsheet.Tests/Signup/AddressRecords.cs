using Broadsheet.Mail;
using Broadsheet.Subscribers;
using Broadsheet.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Broadsheet.Tests.Signup;

/// <summary>Everything the database holds about one address, read through the app's own DbContext.</summary>
public sealed record AddressRecords(List<Subscriber> Subscribers, List<Subscription> Subscriptions, List<ConsentRecord> Consents, List<OutboundEmail> Mail)
{
    public static Task<AddressRecords> LoadAsync(BroadsheetServer server, string email) => server.QueryAsync(async db =>
    {
        var key = email.ToLowerInvariant();
        var subscribers = await db.Subscribers.AsNoTracking().Where(s => s.NormalizedEmail == key).ToListAsync();
        var ids = subscribers.Select(s => s.Id).ToList();
        var subscriptions = await db.Subscriptions.AsNoTracking().Include(s => s.Newsletter).Where(s => ids.Contains(s.SubscriberId)).ToListAsync();
        var subscriptionIds = subscriptions.Select(s => s.Id).ToList();
        var consents = await db.Consents.AsNoTracking().Where(c => subscriptionIds.Contains(c.SubscriptionId)).OrderBy(c => c.Id).ToListAsync();
        var mail = await db.OutboundEmails.AsNoTracking().Where(m => m.ToAddress == email).OrderBy(m => m.Id).ToListAsync();
        return new AddressRecords(subscribers, subscriptions, consents, mail);
    });

    public bool IsEmpty => Subscribers.Count + Subscriptions.Count + Consents.Count + Mail.Count == 0;
}
