using System.Text.Json;
using Broadsheet.Admin;
using Broadsheet.Data;
using Broadsheet.Mail;
using Broadsheet.Newsletters;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace Broadsheet.Subscribers;

/// <summary>One subscriber: subscriptions, consent history, attributes, mail sent; edit, unsubscribe, delete, export, erase.</summary>
[Authorize(Policy = Policies.Viewer, AuthenticationSchemes = ConsoleAuth.CookieScheme)]
public sealed class SubscriberDetailPageModel(BroadsheetDb db, PersonalData personal, Unsubscribing unsubscribing) : PageModel
{
    public Subscriber Subscriber { get; private set; } = null!;
    public List<Subscription> Subscriptions { get; private set; } = [];
    public List<ConsentRecord> Consents { get; private set; } = [];
    public List<OutboundEmail> Emails { get; private set; } = [];
    public List<Newsletter> Newsletters { get; private set; } = [];
    public string? Message { get; private set; }
    public string? Error { get; private set; }

    private bool CanEdit => Policies.CanEdit(User);

    public Task<IActionResult> OnGetAsync(long id, CancellationToken ct) => ShowAsync(id, ct);

    public async Task<IActionResult> OnPostEditAsync(long id, string? name, string? attributes, CancellationToken ct)
    {
        if (!CanEdit) return Forbid();
        var s = await db.Subscribers.FirstOrDefaultAsync(x => x.Id == id, ct);
        if (s is null) return NotFound();
        if (name is { Length: > 200 }) Error = "A name has at most 200 characters.";
        else if (!IsJsonObject(attributes)) Error = "Attributes must be a JSON object, e.g. {\"city\": \"Leeds\"}.";
        else
        {
            s.Name = string.IsNullOrWhiteSpace(name) ? null : name.Trim();
            s.Attributes = string.IsNullOrWhiteSpace(attributes) ? "{}" : JsonDocument.Parse(attributes).RootElement.GetRawText();
            AuditLog.Record(db, User, "subscriber.edit", $"subscriber #{id}");
            await db.SaveChangesAsync(ct);
            Message = "Saved.";
        }
        return await ShowAsync(id, ct);
    }

    public async Task<IActionResult> OnPostAddAsync(long id, string? newsletter, CancellationToken ct)
    {
        if (!CanEdit) return Forbid();
        var n = await db.Newsletters.FirstOrDefaultAsync(x => x.Slug == newsletter, ct);
        var s = await db.Subscribers.Include(x => x.Subscriptions).FirstOrDefaultAsync(x => x.Id == id, ct);
        if (n is null || s is null) return NotFound();
        if (s.Subscriptions.Any(x => x.NewsletterId == n.Id && x.Status == SubscriptionStatus.Unsubscribed))
            Error = "This reader unsubscribed from that newsletter; only they can sign up again.";
        else if (s.Subscriptions.Any(x => x.NewsletterId == n.Id)) Error = "Already subscribed.";
        else
        {
            var now = DateTime.UtcNow;
            var sub = new Subscription { SubscriberId = id, NewsletterId = n.Id, Status = SubscriptionStatus.Active, CreatedAt = now, ConfirmedAt = now };
            db.Subscriptions.Add(sub);
            var consent = new ConsentRecord { Subscription = sub, SubscriberId = id, NewsletterId = n.Id, Wording = $"added by {Policies.Actor(User)} in the console", GivenAt = now, ConfirmedAt = now };
            db.Consents.Add(consent);
            AuditLog.Record(db, User, "subscriber.add-newsletter", $"subscriber #{id}", n.Slug);
            await db.SaveChangesAsync(ct);
            sub.CurrentConsentId = consent.Id; // an unsubscribe later withdraws this consent
            await db.SaveChangesAsync(ct);
            Message = $"Subscribed to {n.Name}.";
        }
        return await ShowAsync(id, ct);
    }

    public async Task<IActionResult> OnPostUnsubscribeAsync(long id, int? newsletterId, CancellationToken ct)
    {
        if (!CanEdit) return Forbid();
        var subscriptionId = newsletterId is null ? null
            : await db.Subscriptions.Where(x => x.SubscriberId == id && x.NewsletterId == newsletterId).Select(x => (long?)x.Id).FirstOrDefaultAsync(ct);
        if (!await db.Subscribers.AnyAsync(x => x.Id == id, ct) || (newsletterId is not null && subscriptionId is null)) return NotFound();
        AuditLog.Record(db, User, "subscriber.unsubscribe", $"subscriber #{id}", newsletterId?.ToString() ?? "all");
        if (subscriptionId is long one) await unsubscribing.OneAsync(one, ct);
        else await unsubscribing.AllAsync(id, ct);
        Message = "Unsubscribed.";
        return await ShowAsync(id, ct);
    }

    public async Task<IActionResult> OnPostDeleteAsync(long id, CancellationToken ct)
    {
        if (!CanEdit) return Forbid();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        AuditLog.Record(db, User, "subscriber.delete", $"subscriber #{id}");
        await db.SaveChangesAsync(ct);
        await SubscriberRemoval.DeleteAsync(db, [id], ct);
        await tx.CommitAsync(ct);
        return Redirect("/admin/subscribers");
    }

    public async Task<IActionResult> OnPostEraseAsync(long id, CancellationToken ct)
    {
        if (!User.IsInRole(nameof(AdminRole.Owner))) return Forbid();
        return await personal.EraseAsync(id, Policies.Actor(User), ct) ? Redirect("/admin/subscribers") : NotFound();
    }

    public async Task<IActionResult> OnGetExportAsync(long id, CancellationToken ct)
    {
        if (!User.IsInRole(nameof(AdminRole.Owner))) return Forbid();
        var data = await personal.ExportAsync(id, ct);
        if (data is null) return NotFound();
        AuditLog.Record(db, User, "subscriber.export", $"subscriber #{id}");
        await db.SaveChangesAsync(ct);
        return File(JsonSerializer.SerializeToUtf8Bytes(data, PersonalData.Json), "application/json", $"subscriber-{id}.json");
    }

    private async Task<IActionResult> ShowAsync(long id, CancellationToken ct)
    {
        var s = await db.Subscribers.AsNoTracking().FirstOrDefaultAsync(x => x.Id == id, ct);
        if (s is null) return NotFound();
        Subscriber = s;
        Subscriptions = await db.Subscriptions.AsNoTracking().Include(x => x.Newsletter).Where(x => x.SubscriberId == id).ToListAsync(ct);
        Consents = await db.Consents.AsNoTracking().Where(x => x.SubscriberId == id).OrderByDescending(x => x.Id).ToListAsync(ct);
        Emails = await SubscriberMail.Of(db, s.Id, s.Email).AsNoTracking().OrderByDescending(x => x.Id).Take(50).ToListAsync(ct);
        Newsletters = await db.Newsletters.AsNoTracking().Where(n => !n.IsArchived).OrderBy(n => n.Name).ToListAsync(ct);
        return Page();
    }

    private static bool IsJsonObject(string? json)
    {
        if (string.IsNullOrWhiteSpace(json)) return true;
        if (json.Length > 20_000) return false;
        try { return JsonDocument.Parse(json).RootElement.ValueKind == JsonValueKind.Object; }
        catch (JsonException) { return false; }
    }
}
