using System.Text.Json;
using Broadsheet.Data;
using Broadsheet.Signup;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Broadsheet.Subscribers;

/// <summary>
/// The reader's own page, reached from a link in one of our emails (a signed owner token): their subscriptions,
/// a change of address, a copy of their data, and erasure.
/// </summary>
public sealed class PreferencesPageModel(
    BroadsheetDb db, SignupTokens tokens, PersonalData personal, OwnerProof owner, Unsubscribing unsubscribing,
    AddressChange addressChange, IOptions<SignupOptions> signupOptions) : PageModel
{
    [BindProperty(SupportsGet = true, Name = "o")] public string? Token { get; set; }
    public Subscriber? Subscriber { get; private set; }
    public List<Subscription> Subscriptions { get; private set; } = [];
    public List<Newsletters.Newsletter> Others { get; private set; } = [];
    public string? Message { get; private set; }
    public bool Erased { get; private set; }

    /// <summary>The address typed into the change-of-address form, shown again when it needs correcting.</summary>
    public string? NewEmail { get; private set; }
    public string? AddressError { get; private set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        if (await LoadAsync(ct) is { } s) owner.Add(HttpContext, s.Email);
        return Page();
    }

    public async Task<IActionResult> OnPostUnsubscribeAsync(long subscription, CancellationToken ct)
    {
        if (await LoadAsync(ct) is null) return Page();
        if (Subscriptions.Any(s => s.Id == subscription)) await unsubscribing.OneAsync(subscription, ct);
        Message = "Unsubscribed.";
        await LoadAsync(ct);
        return Page();
    }

    public async Task<IActionResult> OnPostUnsubscribeAllAsync(CancellationToken ct)
    {
        if (await LoadAsync(ct) is not { } s) return Page();
        await unsubscribing.AllAsync(s.Id, ct);
        Message = "You are unsubscribed from everything.";
        await LoadAsync(ct);
        return Page();
    }

    /// <summary>The link proved the reader owns the address, so a newsletter chosen here is active at once.</summary>
    public async Task<IActionResult> OnPostSubscribeAsync(string newsletter, CancellationToken ct)
    {
        if (await LoadAsync(ct) is not { } s) return Page();
        var n = Others.FirstOrDefault(x => x.Slug == newsletter);
        if (n is not null)
        {
            var now = DateTime.UtcNow;
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            var sub = await db.Subscriptions.FirstOrDefaultAsync(x => x.SubscriberId == s.Id && x.NewsletterId == n.Id, ct);
            if (sub is null) db.Subscriptions.Add(sub = new Subscription { SubscriberId = s.Id, NewsletterId = n.Id, CreatedAt = now });
            sub.Status = SubscriptionStatus.Active;
            sub.ConfirmedAt = now;
            sub.UnsubscribedAt = null;
            var consent = db.Consents.Add(new ConsentRecord { Subscription = sub, SubscriberId = s.Id, NewsletterId = n.Id, Wording = "chosen on the preference page", GivenAt = now, ConfirmedAt = now }).Entity;
            await db.Subscribers.Where(x => x.Id == s.Id && x.Status == SubscriberStatus.Unsubscribed)
                .ExecuteUpdateAsync(u => u.SetProperty(x => x.Status, SubscriberStatus.Active), ct);
            await db.SaveChangesAsync(ct);
            sub.CurrentConsentId = consent.Id;
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
            Message = $"Subscribed to {n.Name}.";
        }
        await LoadAsync(ct);
        return Page();
    }

    /// <summary>Nothing changes yet: a link goes to the new address, and only following it moves the subscriber.</summary>
    public async Task<IActionResult> OnPostChangeAddressAsync(string? newEmail, CancellationToken ct)
    {
        if (await LoadAsync(ct) is not { } s) return Page();
        var (result, email) = await addressChange.RequestAsync(s.Id, newEmail, ct);
        switch (result)
        {
            case AddressChangeRequest.Sent:
                Message = $"We have sent a link to {email}. Open it to confirm the change; until then your newsletters keep coming here.";
                break;
            case AddressChangeRequest.Invalid:
                AddressError = signupOptions.Value.Texts.InvalidEmail;
                break;
            case AddressChangeRequest.Same:
                AddressError = "That is already your address.";
                break;
            case AddressChangeRequest.TooSoon:
                AddressError = "We sent a link a few minutes ago. Please look for it in that inbox, or try again in ten minutes.";
                break;
        }
        if (result != AddressChangeRequest.Sent) NewEmail = newEmail;
        return Page();
    }

    public async Task<IActionResult> OnPostDownloadAsync(CancellationToken ct)
    {
        var s = await LoadAsync(ct);
        if (s is null) return Page();
        var data = await personal.ExportAsync(s.Id, ct);
        return File(JsonSerializer.SerializeToUtf8Bytes(data, PersonalData.Json), "application/json", "my-data.json");
    }

    public async Task<IActionResult> OnPostEraseAsync(bool confirm, CancellationToken ct)
    {
        var s = await LoadAsync(ct);
        if (s is null || !confirm) return Page();
        await personal.EraseAsync(s.Id, ReaderActions.Actor, ct);
        Erased = true;
        Subscriber = null;
        return Page();
    }

    private async Task<Subscriber?> LoadAsync(CancellationToken ct)
    {
        var email = tokens.ReadOwnerLink(Token);
        if (email is null) return null;
        var key = EmailAddressRule.Key(email);
        Subscriber = await db.Subscribers.AsNoTracking().FirstOrDefaultAsync(s => s.NormalizedEmail == key, ct);
        if (Subscriber is not null)
        {
            Subscriptions = await db.Subscriptions.AsNoTracking().Include(x => x.Newsletter).Where(x => x.SubscriberId == Subscriber.Id).OrderBy(x => x.Newsletter.Name).ToListAsync(ct);
            var active = Subscriptions.Where(x => x.Status != SubscriptionStatus.Unsubscribed).Select(x => x.NewsletterId).ToList();
            Others = await db.Newsletters.AsNoTracking().Where(n => n.IsPublic && !n.IsArchived && !active.Contains(n.Id)).OrderBy(n => n.Name).ToListAsync(ct);
        }
        return Subscriber;
    }
}
