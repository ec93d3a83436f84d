using Broadsheet.Data;
using Broadsheet.Mail;
using Broadsheet.Signup;
using Broadsheet.Site;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Broadsheet.Subscribers;

/// <summary>How a request for a new address, made on the preference page, ended.</summary>
public enum AddressChangeRequest { Sent, Invalid, Same, TooSoon }

/// <summary>Where an address-change link stands, when opened and after its Confirm button.</summary>
public enum AddressChangeState { Ready, Changed, AlreadyChanged, Taken, Invalid }

/// <summary>An address-change link read against the database: its state and the addresses it is about.</summary>
public sealed record AddressChangeView(AddressChangeState State, string? OldEmail = null, string? NewEmail = null);

/// <summary>
/// Moving a subscriber to a new address. The preference page asks, and a link goes to the new address while nothing
/// changes; the link's Confirm button moves the subscriber in one transaction and tells the old address. A suppressed
/// new address is refused quietly, as sign-up does; an address another subscriber has is never merged into.
/// </summary>
public sealed class AddressChange(
    BroadsheetDb db, MailQueue mail, SignupTokens tokens, PublicLinks links, SuppressionList suppressions,
    SqliteWriteGate writeGate, IOptions<SiteOptions> site)
{
    /// <summary>Minimum time between two change links for one subscriber, so the page cannot be used to bomb an address.</summary>
    public static readonly TimeSpan ResendInterval = TimeSpan.FromMinutes(10);

    public const string LinkSentAction = "subscriber.address-change-link";
    public const string ChangedAction = "subscriber.address-change";

    /// <summary>Mails a change link to <paramref name="input"/> for the subscriber; returns the outcome and the normalised address.</summary>
    public async Task<(AddressChangeRequest Result, string? Email)> RequestAsync(long subscriberId, string? input, CancellationToken ct)
    {
        if (!EmailAddressRule.TryNormalize(input, out var email)) return (AddressChangeRequest.Invalid, null);
        await suppressions.EnsureKeyAsync(ct);
        var now = DateTime.UtcNow;
        using var gate = await writeGate.EnterAsync(db, ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        if (!await ReaderActions.LockAsync(db, subscriberId, ct)) return (AddressChangeRequest.Invalid, null);
        var subscriber = await db.Subscribers.AsNoTracking().FirstAsync(s => s.Id == subscriberId, ct);
        if (subscriber.NormalizedEmail == EmailAddressRule.Key(email)) return (AddressChangeRequest.Same, email);
        if (await ReaderActions.SinceAsync(db, LinkSentAction, subscriberId, now - ResendInterval, ct)) return (AddressChangeRequest.TooSoon, email);

        // A suppressed address gets nothing, yet the request counts like any other: a different answer to the next
        // request would tell the reader the address is suppressed.
        ReaderActions.Record(db, LinkSentAction, subscriberId);
        var send = subscriber.Status != SubscriberStatus.Suppressed && !await IsSuppressedAsync(email, ct);
        if (send)
        {
            var token = tokens.ForAddressChange(new AddressChangeClaim(subscriberId, subscriber.NormalizedEmail, email, now));
            mail.Add(db, "change-address", email, Values(("change_url", links.Absolute(PublicLinks.AddressChangePath(token)))), subscriberId);
        }
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        if (send) mail.Wake();
        return (AddressChangeRequest.Sent, email);
    }

    /// <summary>What the link would do now; changes nothing (mail scanners open links).</summary>
    public async Task<AddressChangeView> InspectAsync(string? token, CancellationToken ct) =>
        tokens.ReadAddressChange(token) is { } claim ? await CheckAsync(claim, ct) : new(AddressChangeState.Invalid);

    /// <summary>Moves the subscriber to the link's new address and queues the notice to the old one, all in one transaction.</summary>
    public async Task<AddressChangeView> ApplyAsync(string? token, CancellationToken ct)
    {
        if (tokens.ReadAddressChange(token) is not { } claim) return new(AddressChangeState.Invalid);
        await suppressions.EnsureKeyAsync(ct);
        using var gate = await writeGate.EnterAsync(db, ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        if (!await ReaderActions.LockAsync(db, claim.SubscriberId, ct)) return new(AddressChangeState.Invalid);
        var view = await CheckAsync(claim, ct);
        if (view.State != AddressChangeState.Ready) return view;

        var subscriber = await db.Subscribers.FirstAsync(s => s.Id == claim.SubscriberId, ct);
        var oldEmail = subscriber.Email;
        subscriber.Email = claim.NewEmail;
        subscriber.NormalizedEmail = EmailAddressRule.Key(claim.NewEmail);
        // Mail sent to the old address stays the subscriber's (export, erasure) after the address has gone.
        await db.OutboundEmails.Where(m => m.SubscriberId == null && m.ToAddress.ToLower() == claim.OldKey)
            .ExecuteUpdateAsync(u => u.SetProperty(m => m.SubscriberId, subscriber.Id), ct);
        ReaderActions.Record(db, ChangedAction, subscriber.Id);
        mail.Add(db, "address-changed", oldEmail, Values(("new_address", Hint(claim.NewEmail))), subscriber.Id);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException ex) when (SignupService.IsUniqueViolation(ex))
        {
            return new(AddressChangeState.Taken, oldEmail, claim.NewEmail); // someone signed the address up a moment ago
        }
        await tx.CommitAsync(ct);
        mail.Wake();
        return new(AddressChangeState.Changed, oldEmail, claim.NewEmail);
    }

    private async Task<AddressChangeView> CheckAsync(AddressChangeClaim claim, CancellationToken ct)
    {
        var subscriber = await db.Subscribers.AsNoTracking().FirstOrDefaultAsync(s => s.Id == claim.SubscriberId, ct);
        if (subscriber is null || subscriber.Status == SubscriberStatus.Suppressed) return new(AddressChangeState.Invalid);
        var newKey = EmailAddressRule.Key(claim.NewEmail);
        if (subscriber.NormalizedEmail == newKey) return new(AddressChangeState.AlreadyChanged, NewEmail: subscriber.Email);
        // Single use: the address must still be the one the link was made for, and must not have changed since, not even back.
        if (subscriber.NormalizedEmail != claim.OldKey || await ReaderActions.SinceAsync(db, ChangedAction, subscriber.Id, claim.IssuedAt, ct)
            || await IsSuppressedAsync(claim.NewEmail, ct)) return new(AddressChangeState.Invalid);
        return await db.Subscribers.AnyAsync(s => s.NormalizedEmail == newKey, ct)
            ? new(AddressChangeState.Taken, subscriber.Email, claim.NewEmail)
            : new(AddressChangeState.Ready, subscriber.Email, claim.NewEmail);
    }

    private async Task<bool> IsSuppressedAsync(string email, CancellationToken ct)
    {
        var key = EmailAddressRule.Key(email);
        return await suppressions.ContainsAsync(email, ct)
               || await db.Subscribers.AnyAsync(s => s.NormalizedEmail == key && s.Status == SubscriberStatus.Suppressed, ct);
    }

    private Dictionary<string, string> Values((string Key, string Value) extra) => new()
    {
        ["site_name"] = site.Value.Name,
        [extra.Key] = extra.Value,
    };

    /// <summary>The new address as the notice to the old one shows it: enough to recognise, not to copy ("j…@example.com").</summary>
    internal static string Hint(string email)
    {
        var at = email.LastIndexOf('@');
        return email[..1] + "…" + email[at..];
    }
}
