using System.Security.Cryptography;
using System.Text;
using Broadsheet.Data;
using Broadsheet.Site;
using Microsoft.EntityFrameworkCore;

namespace Broadsheet.Subscribers;

/// <summary>
/// Addresses never to mail or re-import, kept only as HMAC-SHA256 under a site key (generated once, stored in the
/// database so every node agrees), so the list itself does not reveal who was erased.
/// </summary>
public sealed class SuppressionList(BroadsheetDb db, SuppressionKey key)
{
    /// <summary>
    /// Creates the site key if it is missing. Call it before opening a transaction that hashes addresses: on SQLite
    /// the key's own insert would otherwise wait for that transaction's write lock, and time out.
    /// </summary>
    public Task EnsureKeyAsync(CancellationToken ct) => key.GetAsync(ct);

    public async Task<string> HashAsync(string normalizedEmail, CancellationToken ct)
    {
        return Convert.ToHexStringLower(HMACSHA256.HashData(await key.GetAsync(ct), Encoding.UTF8.GetBytes(normalizedEmail.ToLowerInvariant())));
    }

    public async Task<bool> ContainsAsync(string normalizedEmail, CancellationToken ct)
    {
        var hash = await HashAsync(normalizedEmail, ct);
        return await db.Suppressions.AnyAsync(s => s.AddressHash == hash, ct);
    }

    /// <summary>Adds the address (idempotent) to the caller's unit of work.</summary>
    public async Task AddAsync(string normalizedEmail, SuppressionReason reason, string? note, CancellationToken ct)
    {
        var hash = await HashAsync(normalizedEmail, ct);
        if (await db.Suppressions.AnyAsync(s => s.AddressHash == hash, ct) || db.Suppressions.Local.Any(s => s.AddressHash == hash)) return;
        db.Suppressions.Add(new Suppression { AddressHash = hash, Reason = reason, Note = note, CreatedAt = DateTime.UtcNow });
    }
}

/// <summary>The suppression HMAC key, created once per site and shared by every node.</summary>
public sealed class SuppressionKey(IServiceScopeFactory scopes) : SiteSecret(scopes, "suppression-hmac-key");
