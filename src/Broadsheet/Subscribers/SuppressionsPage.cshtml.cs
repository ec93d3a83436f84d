using Broadsheet.Admin;
using Broadsheet.Data;
using Broadsheet.Signup;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace Broadsheet.Subscribers;

/// <summary>The suppression list: look an address up, add one with a reason, remove an entry (owners).</summary>
[Authorize(Policy = Policies.Viewer, AuthenticationSchemes = ConsoleAuth.CookieScheme)]
public sealed class SuppressionsPageModel(BroadsheetDb db, SuppressionList suppressions) : PageModel
{
    public List<Suppression> Entries { get; private set; } = [];
    public string? Message { get; private set; }

    public async Task OnGetAsync([FromQuery] string? lookup, CancellationToken ct)
    {
        if (!string.IsNullOrWhiteSpace(lookup))
            Message = EmailAddressRule.TryNormalize(lookup, out var n) && await suppressions.ContainsAsync(n, ct)
                ? $"{n} is suppressed." : $"{lookup.Trim()} is not suppressed.";
        await LoadAsync(ct);
    }

    public async Task<IActionResult> OnPostAddAsync(string? email, SuppressionReason reason, string? note, CancellationToken ct)
    {
        if (!User.IsInRole(nameof(AdminRole.Owner))) return Forbid();
        if (!EmailAddressRule.TryNormalize(email, out var normalized)) Message = "That is not a valid email address.";
        else
        {
            await suppressions.EnsureKeyAsync(ct);
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            await suppressions.AddAsync(normalized, reason, note is { Length: > 500 } ? note[..500] : note, ct);
            AuditLog.Record(db, User, "suppression.add", null, reason.ToString());
            await db.SaveChangesAsync(ct);
            // Suppressed means never mailed: a known reader stops being mailable and loses what is queued for them.
            var key = EmailAddressRule.Key(normalized);
            await db.Subscribers.Where(s => s.NormalizedEmail == key).ExecuteUpdateAsync(u => u.SetProperty(s => s.Status, SubscriberStatus.Suppressed), ct);
            await db.OutboundEmails.Where(m => m.ToAddress == normalized && m.Status == Mail.OutboundEmailStatus.Queued).ExecuteDeleteAsync(ct);
            await tx.CommitAsync(ct);
            Message = "Suppressed.";
        }
        await LoadAsync(ct);
        return Page();
    }

    public async Task<IActionResult> OnPostRemoveAsync(long id, CancellationToken ct)
    {
        if (!User.IsInRole(nameof(AdminRole.Owner))) return Forbid();
        var entry = await db.Suppressions.AsNoTracking().FirstOrDefaultAsync(s => s.Id == id, ct);
        if (entry is null) return Redirect("/admin/suppressions");
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await db.Suppressions.Where(s => s.Id == id).ExecuteDeleteAsync(ct);
        // The list holds only hashes, so find the reader it covered among the (few) suppressed subscribers.
        foreach (var (subscriberId, email) in await db.Subscribers.Where(s => s.Status == SubscriberStatus.Suppressed)
                     .Select(s => new ValueTuple<long, string>(s.Id, s.Email)).ToListAsync(ct))
            if (await suppressions.HashAsync(email, ct) == entry.AddressHash)
                await db.Subscribers.Where(s => s.Id == subscriberId).ExecuteUpdateAsync(u => u.SetProperty(s => s.Status, SubscriberStatus.Active), ct);
        AuditLog.Record(db, User, "suppression.remove", $"suppression #{id}");
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return Redirect("/admin/suppressions");
    }

    private async Task LoadAsync(CancellationToken ct) =>
        Entries = await db.Suppressions.AsNoTracking().OrderByDescending(s => s.Id).Take(500).ToListAsync(ct);
}
