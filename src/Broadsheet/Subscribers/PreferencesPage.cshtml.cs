using System.Text.Json;
using Broadsheet.Data;
using Broadsheet.Signup;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace Broadsheet.Subscribers;

/// <summary>
/// The reader's own page, reached from a link in one of our emails (a signed owner token): their subscriptions,
/// a copy of their data, and erasure.
/// </summary>
public sealed class PreferencesPageModel(BroadsheetDb db, SignupTokens tokens, PersonalData personal, OwnerProof owner) : PageModel
{
    [BindProperty(SupportsGet = true, Name = "o")] public string? Token { get; set; }
    public Subscriber? Subscriber { get; private set; }
    public List<Subscription> Subscriptions { get; private set; } = [];
    public bool Erased { get; private set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        if (await LoadAsync(ct) is { } s) owner.Add(HttpContext, s.Email);
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
        await personal.EraseAsync(s.Id, "the reader", ct);
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
            Subscriptions = await db.Subscriptions.AsNoTracking().Include(x => x.Newsletter).Where(x => x.SubscriberId == Subscriber.Id).ToListAsync(ct);
        return Subscriber;
    }
}
