using Broadsheet.Admin;
using Broadsheet.Data;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace Broadsheet.Delivery;

/// <summary>
/// Owners manage DKIM keys: generate a 2048-bit rsa-sha256 or an ed25519-sha256 key for a domain and selector, see
/// the DNS record to publish, activate (one key per domain and algorithm signs), deactivate, delete. Private keys never
/// leave the database.
/// </summary>
[Authorize(Policy = Policies.Owner, AuthenticationSchemes = ConsoleAuth.CookieScheme)]
public sealed class DkimPageModel(BroadsheetDb db) : PageModel
{
    /// <summary>Longest string in one TXT record; longer values are published as several strings.</summary>
    public const int TxtStringLength = 255;

    public List<(SigningKey Key, DkimKey Dkim)> Keys { get; private set; } = [];
    public SigningKey? Confirming { get; private set; }
    public string? Message { get; private set; }
    public Dictionary<string, string> Errors { get; } = [];
    public string Domain { get; private set; } = "";
    public string Selector { get; private set; } = "";
    public DkimAlgorithm Algorithm { get; private set; }

    /// <summary>How the page names a key's algorithm.</summary>
    public static string Describe(DkimAlgorithm algorithm) => algorithm == DkimAlgorithm.Ed25519Sha256 ? "ed25519-sha256" : "rsa-sha256, 2048 bits";

    public async Task OnGetAsync([FromQuery] int? confirm, CancellationToken ct)
    {
        await LoadAsync(ct);
        Confirming = Keys.Select(k => k.Key).FirstOrDefault(k => k.Id == confirm);
    }

    public async Task OnPostGenerateAsync(string? domain, string? selector, string? algorithm, CancellationToken ct)
    {
        (Domain, Selector) = (domain ?? "", selector ?? "");
        if (!DkimNames.TryDomain(domain, out var d, out var domainError)) Errors["domain"] = domainError!;
        if (!DkimNames.TrySelector(selector, out var s, out var selectorError)) Errors["selector"] = selectorError!;
        // A post without a type gets RSA, the default.
        DkimAlgorithm? chosen = (algorithm ?? "rsa") switch { "rsa" => DkimAlgorithm.RsaSha256, "ed25519" => DkimAlgorithm.Ed25519Sha256, _ => null };
        if (chosen is { } known) Algorithm = known;
        else Errors["algorithm"] = "Choose RSA or Ed25519.";
        if (Errors.Count == 0 && await db.SigningKeys.AnyAsync(k => k.Domain == d && k.Selector == s, ct))
            Errors["selector"] = $"{s}._domainkey.{d} already has a key; choose another selector.";
        if (Errors.Count == 0)
        {
            var key = DkimKey.Generate(d, s, Algorithm);
            // A new key waits until its record is published: signing with it before would fail every check.
            db.SigningKeys.Add(new SigningKey
            {
                Domain = key.Domain, Selector = key.Selector, PrivateKeyPem = key.PrivateKeyPem, IsActive = false,
                CreatedAt = DateTime.UtcNow, CreatedBy = Policies.Actor(User),
            });
            AuditLog.Record(db, User, "dkim.generate", key.DnsName);
            await db.SaveChangesAsync(ct);
            Message = $"Key generated for {key.DnsName}. Publish its record in DNS, then activate it.";
            (Domain, Selector, Algorithm) = ("", "", DkimAlgorithm.RsaSha256);
        }
        await LoadAsync(ct);
    }

    /// <summary>
    /// Makes a key the one of its algorithm that signs for its domain; the domain's other keys of that algorithm stop
    /// signing, those of the other algorithm go on (a message then carries both signatures).
    /// </summary>
    public Task OnPostActivateAsync(int id, CancellationToken ct) => ChangeAsync(id, "dkim.activate", async key =>
    {
        var algorithm = key.ToDkimKey().Algorithm;
        var others = await db.SigningKeys.Where(k => k.Domain == key.Domain && k.Id != id && k.IsActive).ToListAsync(ct);
        foreach (var other in others.Where(k => k.ToDkimKey().Algorithm == algorithm)) other.IsActive = false;
        key.IsActive = true;
        return $"{key.ToDkimKey().DnsName} now signs mail from {key.Domain}.";
    }, ct);

    public Task OnPostDeactivateAsync(int id, CancellationToken ct) => ChangeAsync(id, "dkim.deactivate", key =>
    {
        key.IsActive = false;
        return Task.FromResult($"{key.ToDkimKey().DnsName} no longer signs.");
    }, ct);

    public Task OnPostDeleteAsync(int id, CancellationToken ct) => ChangeAsync(id, "dkim.delete", key =>
    {
        db.SigningKeys.Remove(key);
        return Task.FromResult($"Key {key.ToDkimKey().DnsName} deleted.");
    }, ct);

    /// <summary>The record as a zone-file line, the value split into strings of at most 255 characters.</summary>
    public static string ZoneLine(DkimKey key)
    {
        var value = key.DnsValue;
        var parts = Enumerable.Range(0, (value.Length + TxtStringLength - 1) / TxtStringLength)
            .Select(i => "\"" + value.Substring(i * TxtStringLength, Math.Min(TxtStringLength, value.Length - i * TxtStringLength)) + "\"");
        return $"{key.DnsName}. IN TXT ( {string.Join(" ", parts)} )";
    }

    /// <summary>Applies a change to one key, records it in the audit log, and says what happened.</summary>
    private async Task ChangeAsync(int id, string action, Func<SigningKey, Task<string>> change, CancellationToken ct)
    {
        if (await db.SigningKeys.FirstOrDefaultAsync(k => k.Id == id, ct) is { } key)
        {
            Message = await change(key);
            AuditLog.Record(db, User, action, key.ToDkimKey().DnsName);
            await db.SaveChangesAsync(ct);
        }
        await LoadAsync(ct);
    }

    private async Task LoadAsync(CancellationToken ct) =>
        Keys = (await db.SigningKeys.AsNoTracking().OrderBy(k => k.Domain).ThenByDescending(k => k.CreatedAt).ToListAsync(ct))
            .Select(k => (k, k.ToDkimKey())).ToList();
}
