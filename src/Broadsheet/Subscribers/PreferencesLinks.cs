using Broadsheet.Data;
using Broadsheet.Mail;
using Broadsheet.Signup;
using Broadsheet.Site;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Broadsheet.Subscribers;

/// <summary>
/// "Email me a new link", for a reader whose preference link has expired: a fresh link goes to a known address that
/// may be mailed, at most once per <see cref="ResendInterval"/>. The caller answers the same whatever happened here,
/// so nobody learns who subscribes.
/// </summary>
public sealed class PreferencesLinks(BroadsheetDb db, MailQueue mail, SignupTokens tokens, PublicLinks links, SqliteWriteGate writeGate, IOptions<SiteOptions> site)
{
    public static readonly TimeSpan ResendInterval = TimeSpan.FromMinutes(10);

    public const string LinkSentAction = "subscriber.preferences-link";

    /// <summary>Mails a preference link to <paramref name="normalizedEmail"/> if it is a subscriber's and none went out lately.</summary>
    public async Task SendAsync(string normalizedEmail, CancellationToken ct)
    {
        var key = EmailAddressRule.Key(normalizedEmail);
        var id = await db.Subscribers.Where(s => s.NormalizedEmail == key).Select(s => (long?)s.Id).FirstOrDefaultAsync(ct);
        if (id is not { } subscriberId) return;

        var now = DateTime.UtcNow;
        using var gate = await writeGate.EnterAsync(db, ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        if (!await ReaderActions.LockAsync(db, subscriberId, ct)) return;
        var subscriber = await db.Subscribers.AsNoTracking().FirstAsync(s => s.Id == subscriberId, ct);
        if (subscriber.NormalizedEmail != key || subscriber.Status == SubscriberStatus.Suppressed
            || await ReaderActions.SinceAsync(db, LinkSentAction, subscriberId, now - ResendInterval, ct)) return;

        ReaderActions.Record(db, LinkSentAction, subscriberId);
        mail.Add(db, "preferences-link", subscriber.Email, new Dictionary<string, string>
        {
            ["site_name"] = site.Value.Name,
            ["preferences_url"] = links.Absolute(PublicLinks.PreferencesPath(tokens.ForOwnerLink(subscriber.Email))),
        }, subscriberId);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        mail.Wake();
    }
}
