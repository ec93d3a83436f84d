using Broadsheet.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Caching.Memory;

namespace Broadsheet.Articles;

/// <summary>
/// Finds published articles by slug, keeping recent ones in memory for a few minutes. Pages that bypass the output
/// cache (a reader's sign-up result) then cost no query, and still render while the database is briefly away.
/// </summary>
public sealed class ArticleLookup(IMemoryCache cache)
{
    private static readonly TimeSpan KeepFor = TimeSpan.FromMinutes(5);

    public async Task<Article?> BySlugAsync(BroadsheetDb db, string slug, CancellationToken ct)
    {
        var key = ("article", slug);
        if (cache.TryGetValue(key, out Article? article)) return article;
        article = await db.Articles.AsNoTracking().FirstOrDefaultAsync(a => a.Slug == slug, ct);
        if (article is not null) cache.Set(key, article, KeepFor);
        return article;
    }
}
