using Broadsheet.Admin;
using Broadsheet.Data;
using Broadsheet.Newsletters;
using Broadsheet.Signup;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace Broadsheet.Subscribers;

/// <summary>Add one subscriber by hand (editors), active at once; the consent record says who added them.</summary>
[Authorize(Policy = Policies.Editor, AuthenticationSchemes = ConsoleAuth.CookieScheme)]
public sealed class SubscriberAddPageModel(BroadsheetDb db, SuppressionList suppressions) : PageModel
{
    public List<Newsletter> Newsletters { get; private set; } = [];
    public string? Error { get; private set; }

    public async Task OnGetAsync(CancellationToken ct) => Newsletters = await ActiveNewslettersAsync(ct);

    public async Task<IActionResult> OnPostAsync(string? email, string? name, List<string>? newsletters, CancellationToken ct)
    {
        Newsletters = await ActiveNewslettersAsync(ct);
        if (!EmailAddressRule.TryNormalize(email, out var normalized)) Error = "That is not a valid email address.";
        else if (await db.Subscribers.AnyAsync(s => s.NormalizedEmail == EmailAddressRule.Key(normalized), ct)) Error = "That address is already a subscriber.";
        else if (await suppressions.ContainsAsync(normalized, ct)) Error = "That address is on the suppression list (erased, bounced or complained).";
        else if (name is { Length: > 200 }) Error = "A name has at most 200 characters.";
        if (Error is not null) return Page();

        var now = DateTime.UtcNow;
        var subscriber = new Subscriber { Email = normalized, NormalizedEmail = EmailAddressRule.Key(normalized), Name = string.IsNullOrWhiteSpace(name) ? null : name.Trim(), CreatedAt = now, Source = $"added by {Policies.Actor(User)}" };
        db.Subscribers.Add(subscriber);
        foreach (var n in Newsletters.Where(n => newsletters?.Contains(n.Slug) == true))
        {
            var sub = new Subscription { Subscriber = subscriber, NewsletterId = n.Id, Status = SubscriptionStatus.Active, CreatedAt = now, ConfirmedAt = now };
            subscriber.Subscriptions.Add(sub);
            db.Consents.Add(new ConsentRecord { Subscription = sub, Subscriber = subscriber, NewsletterId = n.Id, Wording = $"added by {Policies.Actor(User)} in the console", GivenAt = now, ConfirmedAt = now });
        }
        await db.SaveChangesAsync(ct);
        foreach (var c in db.Consents.Local)
        {
            c.SubscriberId = subscriber.Id;
            c.Subscription.CurrentConsentId = c.Id;
        }
        AuditLog.Record(db, User, "subscriber.add", $"subscriber #{subscriber.Id}");
        await db.SaveChangesAsync(ct);
        return Redirect($"/admin/subscribers/{subscriber.Id}");
    }

    private Task<List<Newsletter>> ActiveNewslettersAsync(CancellationToken ct) =>
        db.Newsletters.AsNoTracking().Where(n => !n.IsArchived).OrderBy(n => n.Name).ToListAsync(ct);
}
