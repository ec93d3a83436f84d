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
        using var hasher = await HasherAsync(ct);
        return hasher.Hash(normalizedEmail);
    }

    /// <summary>A hasher under the site key, to hash many addresses in a row (imports).</summary>
    public async Task<AddressHasher> HasherAsync(CancellationToken ct) => new(await key.GetAsync(ct));

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

/// <summary>
/// HMAC-SHA256 of the lower-cased address under the site key, hex: the suppression list's hash. One HMAC context
/// serves every address (half the cost of setting one up per address); use it from one thread at a time.
/// </summary>
public sealed class AddressHasher(byte[] siteKey) : IDisposable
{
    private readonly IncrementalHash _hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, siteKey);

    public string Hash(string normalizedEmail)
    {
        _hmac.AppendData(Encoding.UTF8.GetBytes(normalizedEmail.ToLowerInvariant()));
        return Convert.ToHexStringLower(_hmac.GetHashAndReset());
    }

    public void Dispose() => _hmac.Dispose();
}

/// <summary>The suppression HMAC key, created once per site and shared by every node.</summary>
public sealed class SuppressionKey(IServiceScopeFactory scopes) : SiteSecret(scopes, "suppression-hmac-key");
