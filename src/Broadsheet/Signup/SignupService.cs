using Broadsheet.Articles;
using System.Data.Common;
using Broadsheet.Data;
using Broadsheet.Mail;
using Broadsheet.Newsletters;
using Broadsheet.Site;
using Broadsheet.Subscribers;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Broadsheet.Signup;

/// <summary>What the module shows after a sign-up attempt.</summary>
public enum SignupState { Success, Existing, Invalid, Failure }

/// <summary>Why a sign-up ended in <see cref="SignupState.Failure"/> or <see cref="SignupState.Invalid"/>; for API callers and logs.</summary>
public enum SignupProblem { None, InvalidEmail, UnknownNewsletter, RateLimited, Unavailable }

/// <summary>One sign-up attempt as the form or the API delivered it.</summary>
public sealed record SignupRequest(string? Email, IReadOnlyList<string> Newsletters, string? SourceUrl, string? IpAddress, bool OwnerProven);

/// <summary>The outcome, with the normalised address when it was valid.</summary>
public sealed record SignupResult(SignupState State, SignupProblem Problem = SignupProblem.None, string? Email = null);

/// <summary>
/// The subscription rules: normalise, rate-limit, then in one transaction create or update the subscriber, its
/// subscriptions and consent records, and queue the confirmation or notice mail. Nothing is half-written.
/// </summary>
public sealed class SignupService(
    BroadsheetDb db, MailQueue mail, MailHandoff handoff, SignupTokens tokens, AddressRateLimiter addressLimiter, PublicLinks links,
    SuppressionList suppressions, NewsletterDirectory directory, SqliteWriteGate writeGate, NewSignupWriter writer, WriteBatcher<NewSignup> batches, ArticleLookup articles, IOptions<SignupOptions> signupOptions, IOptions<SiteOptions> siteOptions, ILogger<SignupService> logger)
{
    private const int Attempts = 3;

    public async Task<SignupResult> SignUpAsync(SignupRequest request, CancellationToken ct)
    {
        if (!EmailAddressRule.TryNormalize(request.Email, out var email))
            return new(SignupState.Invalid, SignupProblem.InvalidEmail);
        if (!addressLimiter.TryAcquire(email))
            return new(SignupState.Failure, SignupProblem.RateLimited, email);

        try
        {
            var slugs = request.Newsletters.Count == 0 ? [siteOptions.Value.DefaultNewsletter] : request.Newsletters.Distinct().ToList();
            var newsletters = (await directory.AllAsync(db, ct)).Where(n => slugs.Contains(n.Slug)).ToList();
            if (newsletters.Count != slugs.Count)
                return new(SignupState.Invalid, SignupProblem.UnknownNewsletter, email);
            if (await TryNewAddressAsync(email, newsletters, request, ct))
                return new(SignupState.Success, Email: email);
            // An erased, bounced or complaining address is never stored or mailed again; whoever typed it sees success.
            if (await suppressions.ContainsAsync(email, ct))
                return new(SignupState.Success, Email: email);

            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    return await SignUpOnceAsync(email, newsletters, request, ct);
                }
                catch (DbUpdateException ex) when (attempt < Attempts && IsUniqueViolation(ex))
                {
                    // A concurrent identical request inserted the same subscriber or subscription first: read it and go again.
                    db.ChangeTracker.Clear();
                }
            }
        }
        catch (Exception ex) when (ex is DbException or DbUpdateException or InvalidOperationException or TimeoutException && !ct.IsCancellationRequested)
        {
            logger.LogError("Sign-up could not be stored: {Error}", ex.GetBaseException().Message);
            return new(SignupState.Failure, SignupProblem.Unavailable, email);
        }
    }

    /// <summary>
    /// The common case, an address never seen before, written by <see cref="SignupSql"/> in one statement, in a
    /// transaction it may share with concurrent new-address sign-ups; false, with nothing written, when the address is
    /// already known or suppressed.
    /// </summary>
    private async Task<bool> TryNewAddressAsync(string email, List<Newsletter> newsletters, SignupRequest request, CancellationToken ct)
    {
        var options = signupOptions.Value;
        var optIns = newsletters.Select(n => new NewOptIn(n.Id, n.DoubleOptIn, ConsentRecord.NewNonce())).ToList();
        var confirmations = newsletters.Zip(optIns).Where(x => x.Second.Pending).Select(x => ConfirmationMail(x.First, email, x.Second.Nonce, null)).ToList(); // the subscriber id comes with the insert
        var signup = new NewSignup(
            email, EmailAddressRule.Key(email), await suppressions.HashAsync(email, ct), Truncate(request.SourceUrl), await SectionOfAsync(request.SourceUrl, ct),
            options.Texts.ConsentWording, options.RecordIp ? request.IpAddress : null, DateTime.UtcNow, optIns, confirmations);
        var handed = handoff.TryClaim(confirmations);
        var stored = false;
        try
        {
            stored = await batches.WriteAsync(signup, WriteTogetherAsync, () => writer.WriteAsync(db, signup, ct));
        }
        finally
        {
            if (handed && !stored) handoff.Cancel(confirmations);
        }
        if (!stored) return false;
        if (handed) handoff.Hand(confirmations);
        else if (confirmations.Count > 0) mail.Wake();
        return true;
    }

    /// <summary>
    /// Concurrent new-address sign-ups share one transaction (see <see cref="WriteBatcher{T}"/>); SQLite's gate is taken
    /// once for all of them. Not under this request's token: the others' sign-ups ride on this write.
    /// </summary>
    private Task<IReadOnlyList<bool>> WriteTogetherAsync(IReadOnlyList<NewSignup> signups) => writer.WriteAsync(db, signups, CancellationToken.None);

    private async Task<SignupResult> SignUpOnceAsync(string email, List<Newsletter> newsletters, SignupRequest request, CancellationToken ct)
    {
        var options = signupOptions.Value;
        var now = DateTime.UtcNow;
        var key = EmailAddressRule.Key(email);
        var ids = newsletters.Select(n => n.Id).ToList();

        using var gate = await writeGate.EnterAsync(db, ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        db.Database.AutoSavepointsEnabled = false; // one SaveChanges inside our own transaction: a savepoint would only add round trips
        var subscriber = await db.Subscribers
            .Include(s => s.Subscriptions.Where(x => ids.Contains(x.NewsletterId)))
            .FirstOrDefaultAsync(s => s.NormalizedEmail == key, ct);

        if (subscriber is null)
        {
            subscriber = new Subscriber
            {
                Email = email, NormalizedEmail = key, Source = Truncate(request.SourceUrl), CreatedAt = now,
                SourceSection = await SectionOfAsync(request.SourceUrl, ct),
            };
            db.Subscribers.Add(subscriber);
        }
        else if (subscriber.Status == SubscriberStatus.Suppressed)
        {
            // Never mail a suppressed address, and never say so to whoever typed it.
            return new(SignupState.Success, Email: email);
        }
        else if (subscriber.Status == SubscriberStatus.Unsubscribed)
        {
            subscriber.Status = SubscriberStatus.Active; // a new explicit opt-in; each subscription below still needs its own
        }

        var confirmations = new List<(Subscription Sub, string Nonce, Newsletter Newsletter)>();
        var notices = new List<(Subscription Sub, Newsletter Newsletter)>();
        var newConsents = new List<ConsentRecord>();
        var alreadyActive = 0;
        var reveal = options.RevealExisting == RevealExisting.Always
                     || (options.RevealExisting == RevealExisting.Proven && request.OwnerProven);

        foreach (var newsletter in newsletters)
        {
            var sub = subscriber.Subscriptions.FirstOrDefault(s => s.NewsletterId == newsletter.Id);
            if (sub is null)
            {
                sub = new Subscription { Subscriber = subscriber, NewsletterId = newsletter.Id, CreatedAt = now };
                subscriber.Subscriptions.Add(sub);
            }

            switch (sub.Status)
            {
                case SubscriptionStatus.Active when sub.Id != 0:
                    alreadyActive++;
                    var noticeSentAt = sub.ExistingNoticeSentAt;
                    if (!reveal && Due(noticeSentAt, options.ExistingNoticeInterval, now)
                        && await ClaimAsync(db.Subscriptions.Where(s => s.Id == sub.Id && s.ExistingNoticeSentAt == noticeSentAt),
                            u => u.SetProperty(s => s.ExistingNoticeSentAt, now), ct))
                        notices.Add((sub, newsletter));
                    break;
                case SubscriptionStatus.Pending when sub.Id != 0:
                    var confirmationSentAt = sub.ConfirmationSentAt;
                    if (Due(confirmationSentAt, options.ConfirmationResendInterval, now) && sub.CurrentConsentId is long consentId
                        && await ClaimAsync(db.Subscriptions.Where(s => s.Id == sub.Id && s.ConfirmationSentAt == confirmationSentAt),
                            u => u.SetProperty(s => s.ConfirmationSentAt, now), ct))
                    {
                        var nonce = await db.Consents.Where(c => c.Id == consentId).Select(c => c.Nonce).FirstAsync(ct) ?? await GiveNonceAsync(consentId, ct);
                        confirmations.Add((sub, nonce, newsletter));
                    }
                    break;
                default:
                    // New, or unsubscribed earlier: a fresh opt-in with its own consent record.
                    var record = new ConsentRecord
                    {
                        Subscription = sub,
                        Subscriber = subscriber,
                        NewsletterId = newsletter.Id,
                        Wording = options.Texts.ConsentWording,
                        SourceUrl = Truncate(request.SourceUrl),
                        IpAddress = options.RecordIp ? request.IpAddress : null,
                        GivenAt = now,
                    };
                    db.Consents.Add(record);
                    newConsents.Add(record);
                    sub.UnsubscribedAt = null;
                    if (newsletter.DoubleOptIn)
                    {
                        sub.Status = SubscriptionStatus.Pending;
                        sub.ConfirmedAt = null;
                        sub.ConfirmationSentAt = now;
                        confirmations.Add((sub, record.Nonce!, newsletter));
                    }
                    else
                    {
                        sub.Status = SubscriptionStatus.Active;
                        sub.ConfirmedAt = record.ConfirmedAt = now;
                    }
                    break;
            }
        }

        // Links name the opt-in by its nonce, so the mail goes into the same SaveChanges as the rows it is about.
        // A subscriber new here has no id before the first save: their confirmations get it with the second.
        var knownId = subscriber.Id == 0 ? (long?)null : subscriber.Id;
        var confirmationMail = confirmations.Select(c => ConfirmationMail(c.Newsletter, email, c.Nonce, knownId)).ToList();
        db.OutboundEmails.AddRange(confirmationMail);
        foreach (var (_, newsletter) in notices)
            mail.Add(db, "existing", email, Values(newsletter, email, ("newsletters_url", links.Absolute(PublicLinks.NewslettersOwnerPath(tokens.ForOwnerLink(email))))), subscriber.Id);
        await db.SaveChangesAsync(ct);

        // EF cannot insert two rows that point at each other in one go; the link to the current consent follows.
        if (newConsents.Count > 0)
        {
            foreach (var consent in newConsents) consent.Subscription.CurrentConsentId = consent.Id;
            foreach (var m in confirmationMail) m.SubscriberId = subscriber.Id;
            await db.SaveChangesAsync(ct);
        }
        await tx.CommitAsync(ct);
        if (confirmations.Count + notices.Count > 0) mail.Wake();

        var existing = alreadyActive == newsletters.Count && reveal;
        return new(existing ? SignupState.Existing : SignupState.Success, Email: email);
    }

    private OutboundEmail ConfirmationMail(Newsletter newsletter, string email, string nonce, long? subscriberId) =>
        mail.Compose("confirm", email, Values(newsletter, email, ("confirm_url", links.Absolute(PublicLinks.ConfirmPath(tokens.ForConfirmation(nonce))))), subscriberId);

    private Dictionary<string, string> Values(Newsletter newsletter, string email, (string Key, string Value) link) => new()
    {
        ["site_name"] = siteOptions.Value.Name,
        ["newsletter_name"] = newsletter.Name,
        ["preferences_url"] = links.Absolute(PublicLinks.PreferencesPath(tokens.ForOwnerLink(email))),
        [link.Key] = link.Value,
    };

    /// <summary>
    /// Stamps a re-send as a conditional update, so that of several concurrent requests only one mails: on PostgreSQL
    /// the losers' update waits for the winner's commit and then matches no row. Rolled back with the transaction.
    /// </summary>
    private static async Task<bool> ClaimAsync(IQueryable<Subscription> row,
        Action<Microsoft.EntityFrameworkCore.Query.UpdateSettersBuilder<Subscription>> stamp, CancellationToken ct) =>
        await row.ExecuteUpdateAsync(stamp, ct) == 1;

    /// <summary>An imported pending opt-in has no nonce until its first confirmation link is sent.</summary>
    private async Task<string> GiveNonceAsync(long consentId, CancellationToken ct)
    {
        var nonce = ConsentRecord.NewNonce();
        await db.Consents.Where(c => c.Id == consentId).ExecuteUpdateAsync(u => u.SetProperty(c => c.Nonce, nonce), ct);
        return nonce;
    }

    /// <summary>The section of the article at <paramref name="sourceUrl"/> (a path or a URL of this site's /articles/SLUG), if any.</summary>
    private async Task<string?> SectionOfAsync(string? sourceUrl, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(sourceUrl)) return null;
        var path = Uri.TryCreate(sourceUrl, UriKind.Absolute, out var absolute) ? absolute.AbsolutePath : sourceUrl.Split('?', '#')[0];
        const string prefix = "/articles/";
        if (!path.StartsWith(prefix, StringComparison.Ordinal) || path.Length == prefix.Length) return null;
        var slug = Uri.UnescapeDataString(path[prefix.Length..].TrimEnd('/'));
        return slug.Length > 200 ? null : (await articles.BySlugAsync(db, slug, ct))?.Section;
    }

    private static bool Due(DateTime? last, TimeSpan interval, DateTime now) => last is null || now - last.Value >= interval;

    private static string? Truncate(string? value) => value is { Length: > 2000 } ? value[..2000] : value;

    internal static bool IsUniqueViolation(DbUpdateException ex) => ex.InnerException switch
    {
        SqliteException s => s.SqliteExtendedErrorCode is 2067 or 1555,
        PostgresException p => p.SqlState == PostgresErrorCodes.UniqueViolation,
        _ => false,
    };
}
