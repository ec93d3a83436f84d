using Broadsheet.Data;
using Broadsheet.Mail;

namespace Broadsheet.Subscribers;

/// <summary>
/// The mail that belongs to one subscriber: tagged with their id (as all mail about a subscriber is, and it stays
/// theirs after an address change), or sent to their current address and naming nobody. Each half reads its own index.
/// </summary>
public static class SubscriberMail
{
    public static IQueryable<OutboundEmail> Of(BroadsheetDb db, long subscriberId, string email) =>
        db.OutboundEmails.Where(m => m.SubscriberId == subscriberId || (m.SubscriberId == null && m.ToAddress == email));
}
