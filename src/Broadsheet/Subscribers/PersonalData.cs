using Broadsheet.Admin;
using Broadsheet.Data;
using Microsoft.EntityFrameworkCore;

namespace Broadsheet.Subscribers;

/// <summary>
/// A reader's rights over their data: a copy of everything we hold about them, and erasure that keeps only a keyed
/// hash in the suppression list, so the address is not re-imported or mailed by mistake.
/// </summary>
public sealed class PersonalData(BroadsheetDb db, SuppressionList suppressions)
{
    /// <summary>How a copy of someone's data is written: camelCase names throughout, indented for people to read.</summary>
    public static readonly System.Text.Json.JsonSerializerOptions Json = new(System.Text.Json.JsonSerializerDefaults.Web) { WriteIndented = true };

    /// <summary>Everything stored about one subscriber, ready to serialise as JSON; null when unknown.</summary>
    public async Task<object?> ExportAsync(long subscriberId, CancellationToken ct)
    {
        var s = await db.Subscribers.AsNoTracking().FirstOrDefaultAsync(x => x.Id == subscriberId, ct);
        if (s is null) return null;
        var subscriptions = await db.Subscriptions.AsNoTracking().Where(x => x.SubscriberId == subscriberId)
            .Select(x => new { newsletter = x.Newsletter.Name, status = x.Status.ToString(), x.CreatedAt, x.ConfirmedAt, x.UnsubscribedAt }).ToListAsync(ct);
        var consents = await db.Consents.AsNoTracking().Where(x => x.SubscriberId == subscriberId).OrderBy(x => x.Id)
            .Select(x => new { x.NewsletterId, x.Wording, x.SourceUrl, x.IpAddress, x.GivenAt, x.ConfirmedAt, x.WithdrawnAt }).ToListAsync(ct);
        var emails = await SubscriberMail.Of(db, subscriberId, s.Email).AsNoTracking().OrderBy(x => x.Id)
            .Select(x => new { x.Kind, x.Subject, status = x.Status.ToString(), x.CreatedAt, x.SentAt }).ToListAsync(ct);
        return new
        {
            email = s.Email,
            name = s.Name,
            attributes = System.Text.Json.JsonDocument.Parse(string.IsNullOrWhiteSpace(s.Attributes) ? "{}" : s.Attributes).RootElement,
            status = s.Status.ToString(),
            createdAt = s.CreatedAt,
            source = s.Source,
            subscriptions,
            consents,
            emails,
        };
    }

    /// <summary>Removes the subscriber and everything naming them, and suppresses the address, in one transaction.</summary>
    public async Task<bool> EraseAsync(long subscriberId, string actor, CancellationToken ct)
    {
        await suppressions.EnsureKeyAsync(ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var email = await db.Subscribers.Where(x => x.Id == subscriberId).Select(x => x.Email).FirstOrDefaultAsync(ct);
        if (email is null) return false;
        await suppressions.AddAsync(email, SuppressionReason.Erased, null, ct);
        // The audit entry names the record, not the person: the address must not outlive the erasure.
        AuditLog.Record(db, actor, "subscriber.erase", $"subscriber #{subscriberId}");
        await db.SaveChangesAsync(ct);
        await SubscriberRemoval.DeleteAsync(db, [subscriberId], ct);
        // Import reports keep refused rows as typed; the erased address must not survive there either.
        await db.Set<Import.ImportRejection>().Where(r => r.Value != null && r.Value.ToLower() == email.ToLower()).ExecuteDeleteAsync(ct);
        await tx.CommitAsync(ct);
        return true;
    }
}
