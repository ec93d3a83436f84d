using Broadsheet.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Caching.Memory;

namespace Broadsheet.Newsletters;

/// <summary>
/// The newsletters, held in memory briefly so that a sign-up does not query them every time. Changes made on this
/// node call <see cref="Forget"/>; other nodes see them within <see cref="KeepFor"/>.
/// </summary>
public sealed class NewsletterDirectory(IMemoryCache cache)
{
    public static readonly TimeSpan KeepFor = TimeSpan.FromSeconds(30);
    private const string Key = "newsletters";

    public async Task<IReadOnlyList<Newsletter>> AllAsync(BroadsheetDb db, CancellationToken ct) =>
        await cache.GetOrCreateAsync(Key, async entry =>
        {
            entry.AbsoluteExpirationRelativeToNow = KeepFor;
            return (IReadOnlyList<Newsletter>)await db.Newsletters.AsNoTracking().ToListAsync(ct);
        }) ?? [];

    public void Forget() => cache.Remove(Key);
}
