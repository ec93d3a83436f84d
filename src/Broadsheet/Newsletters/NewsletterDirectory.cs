using System.Data.Common;
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

    /// <summary>The list last read, served when reading it again fails.</summary>
    private IReadOnlyList<Newsletter>? _last;

    public async Task<IReadOnlyList<Newsletter>> AllAsync(BroadsheetDb db, CancellationToken ct)
    {
        try
        {
            return _last = await cache.GetOrCreateAsync(Key, async entry =>
            {
                entry.AbsoluteExpirationRelativeToNow = KeepFor;
                return (IReadOnlyList<Newsletter>)await db.Newsletters.AsNoTracking().ToListAsync(ct);
            }) ?? [];
        }
        catch (Exception ex) when (ex is DbException or InvalidOperationException { InnerException: DbException } // EF Core's wrapping of a transient failure
                                   && _last is { } last && !ct.IsCancellationRequested)
        {
            // Newsletters seldom change, and a sign-up should not fail on this read: right after an outage the pooled
            // connections are dead and the first query on one fails (the sign-up's own write goes once more on a fresh
            // one). The list last read is served, and read again next time.
            return last;
        }
    }

    public void Forget() => cache.Remove(Key);
}
