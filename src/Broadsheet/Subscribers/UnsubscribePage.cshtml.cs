using Broadsheet.Data;
using Broadsheet.Signup;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace Broadsheet.Subscribers;

/// <summary>
/// The unsubscribe link in every newsletter email. Opening it changes nothing (mail scanners open links); the
/// Confirm button posts. Mail clients that support RFC 8058 use <c>/unsubscribe/one-click</c> instead.
/// </summary>
public sealed class UnsubscribePageModel(BroadsheetDb db, SignupTokens tokens, Unsubscribing unsubscribing) : PageModel
{
    [BindProperty(SupportsGet = true, Name = "t")] public string? Token { get; set; }
    public string? Email { get; private set; }
    public string? NewsletterName { get; private set; }
    public bool Done { get; private set; }
    public bool Invalid { get; private set; }

    public async Task OnGetAsync(CancellationToken ct)
    {
        var sub = await LoadAsync(ct);
        Done = sub?.Status == SubscriptionStatus.Unsubscribed;
    }

    public async Task OnPostAsync(CancellationToken ct)
    {
        if (await LoadAsync(ct) is not { } sub) return;
        await unsubscribing.OneAsync(sub.Id, ct);
        Done = true;
    }

    private async Task<Subscription?> LoadAsync(CancellationToken ct)
    {
        var id = tokens.ReadUnsubscribe(Token);
        var sub = id is null ? null : await db.Subscriptions.AsNoTracking().Include(s => s.Subscriber).Include(s => s.Newsletter).FirstOrDefaultAsync(s => s.Id == id, ct);
        Invalid = sub is null;
        Email = sub?.Subscriber.Email;
        NewsletterName = sub?.Newsletter.Name;
        return sub;
    }
}
