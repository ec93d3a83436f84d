using System.Security.Cryptography;
using Broadsheet.Data;
using Microsoft.EntityFrameworkCore;

namespace Broadsheet.Site;

/// <summary>
/// A random 256-bit site key kept in the settings table, so every node uses the same one: created once in its own
/// unit of work (the first node to insert it wins) and then cached.
/// </summary>
public abstract class SiteSecret(IServiceScopeFactory scopes, string name)
{
    private byte[]? _key;

    /// <summary>The key, once <see cref="GetAsync"/> has read it: for code that cannot wait, with keys read at startup.</summary>
    public byte[] Loaded => _key ?? throw new InvalidOperationException($"The site key '{name}' is read at startup, before anything uses it.");

    public async Task<byte[]> GetAsync(CancellationToken ct)
    {
        if (_key is not null) return _key;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<BroadsheetDb>();
        var stored = await db.Set<Setting>().AsNoTracking().FirstOrDefaultAsync(s => s.Key == name, ct);
        if (stored is null)
        {
            try
            {
                db.Set<Setting>().Add(new Setting { Key = name, Value = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) });
                await db.SaveChangesAsync(ct);
            }
            catch (DbUpdateException)
            {
                // Another node created it first; use theirs.
            }
            stored = await db.Set<Setting>().AsNoTracking().FirstAsync(s => s.Key == name, ct);
        }
        return _key = Convert.FromBase64String(stored.Value);
    }
}
