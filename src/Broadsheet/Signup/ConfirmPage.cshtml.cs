using Broadsheet.Data;
using Broadsheet.Subscribers;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace Broadsheet.Signup;

/// <summary>
/// The page behind the confirmation link. Opening it changes nothing (mail scanners open links); the Confirm button
/// posts, and only that activates the subscription.
/// </summary>
public sealed class ConfirmPageModel(BroadsheetDb db, SignupTokens tokens, OwnerProof owner, ILogger<ConfirmPageModel> logger) : PageModel
{
    public enum Outcome { Ready, Confirmed, AlreadyActive, Invalid, Unavailable }

    public Outcome Result { get; private set; }
    public string? NewsletterName { get; private set; }
    public string? Email { get; private set; }

    [BindProperty(SupportsGet = true, Name = "token")]
    public string? Token { get; set; }

    public async Task OnGetAsync(CancellationToken ct)
    {
        try
        {
            var subscription = await LoadAsync(ct);
            if (subscription is null) return;
            Result = subscription.Status == SubscriptionStatus.Active ? Outcome.AlreadyActive : Outcome.Ready;
            owner.Add(HttpContext, subscription.Subscriber.Email); // the link came from the mailbox: this browser owns the address
        }
        catch (Exception ex) when (ex is System.Data.Common.DbException or InvalidOperationException)
        {
            logger.LogError("Confirmation link could not be read: {Error}", ex.GetBaseException().Message);
            Result = Outcome.Unavailable;
        }
    }

    public async Task OnPostAsync(CancellationToken ct)
    {
        try
        {
            var subscription = await LoadAsync(ct);
            if (subscription is null) return;
            if (subscription.Status == SubscriptionStatus.Active)
            {
                Result = Outcome.AlreadyActive;
            }
            else
            {
                var now = DateTime.UtcNow;
                var consent = await db.Consents.FirstAsync(c => c.Id == subscription.CurrentConsentId, ct);
                subscription.Status = SubscriptionStatus.Active;
                subscription.ConfirmedAt = now;
                consent.ConfirmedAt = now;
                await db.SaveChangesAsync(ct); // one SaveChanges: one transaction
                Result = Outcome.Confirmed;
            }
            owner.Add(HttpContext, subscription.Subscriber.Email);
        }
        catch (Exception ex) when (ex is System.Data.Common.DbException or DbUpdateException or InvalidOperationException)
        {
            logger.LogError("Confirmation could not be stored: {Error}", ex.GetBaseException().Message);
            Result = Outcome.Unavailable;
        }
    }

    /// <summary>The subscription the token names, if the token is genuine, unexpired and still the current opt-in.</summary>
    private async Task<Subscription?> LoadAsync(CancellationToken ct)
    {
        Result = Outcome.Invalid;
        if (tokens.ReadConfirmation(Token) is not { } nonce) return null;
        var consent = await db.Consents.AsNoTracking().Where(c => c.Nonce == nonce).Select(c => new { c.Id, c.SubscriptionId }).FirstOrDefaultAsync(ct);
        if (consent is null) return null;
        var consentId = consent.Id;
        var subscription = await db.Subscriptions.Include(s => s.Subscriber).Include(s => s.Newsletter)
            .FirstOrDefaultAsync(s => s.Id == consent.SubscriptionId, ct);
        // An unsubscribe or a newer opt-in makes older links stale.
        if (subscription is null || subscription.CurrentConsentId != consentId || subscription.Status == SubscriptionStatus.Unsubscribed
            || subscription.Subscriber.Status == SubscriberStatus.Suppressed) return null;
        NewsletterName = subscription.Newsletter.Name;
        Email = subscription.Subscriber.Email;
        return subscription;
    }
}
