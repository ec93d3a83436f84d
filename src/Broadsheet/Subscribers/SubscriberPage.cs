using System.Linq.Expressions;
using Broadsheet.Data;
using Microsoft.EntityFrameworkCore;

namespace Broadsheet.Subscribers;

/// <summary>How the console list is ordered.</summary>
public enum SubscriberSort { Newest, Oldest, Email }

/// <summary>
/// One page of the list: its order, the cursor left by the previous page, its size, and whether the filter matches
/// few rows (at most the list's count limit), so that all of them can be fetched and sorted.
/// </summary>
public sealed record PageRequest(SubscriberSort Sort, string? After, int Size, bool Few);

/// <summary>
/// Keyset pagination over a filtered subscriber query: each page continues after the last row of the previous one
/// (sort key, then id), so page 10,000 costs what page 1 costs.
/// </summary>
public static class SubscriberPage
{
    public static async Task<(List<Subscriber> Rows, string? Next)> ReadAsync(BroadsheetDb db, IQueryable<Subscriber> query, PageRequest page, CancellationToken ct)
    {
        var (key, id) = ParseCursor(page.After);
        DateTime? at = key is not null && page.Sort != SubscriberSort.Email && long.TryParse(key, out var ticks) && ticks >= 0 && ticks <= DateTime.MaxValue.Ticks
            ? new DateTime(ticks, DateTimeKind.Utc) : null;
        query = db.OnPostgres ? PostgresPage(query, page, key, at, id) : Page(query, page.Sort, key, at, id);
        var rows = await query.AsNoTracking().Take(page.Size + 1).ToListAsync(ct);
        if (rows.Count <= page.Size) return (rows, null);
        rows.RemoveAt(page.Size);
        var last = rows[^1];
        var lastKey = page.Sort == SubscriberSort.Email ? last.NormalizedEmail : last.CreatedAt.Ticks.ToString();
        return (rows, $"{last.Id}:{lastKey}");
    }

    private static IQueryable<Subscriber> Page(IQueryable<Subscriber> query, SubscriberSort sort, string? key, DateTime? at, long id) => sort switch
    {
        SubscriberSort.Oldest => (at is not { } a ? query : query.Where(s => s.CreatedAt > a || (s.CreatedAt == a && s.Id > id)))
            .OrderBy(s => s.CreatedAt).ThenBy(s => s.Id),
        SubscriberSort.Email => (key is null ? query : query.Where(s => s.NormalizedEmail.CompareTo(key) > 0 || (s.NormalizedEmail == key && s.Id > id)))
            .OrderBy(s => s.NormalizedEmail).ThenBy(s => s.Id),
        _ => (at is not { } b ? query : query.Where(s => s.CreatedAt < b || (s.CreatedAt == b && s.Id < id)))
            .OrderByDescending(s => s.CreatedAt).ThenByDescending(s => s.Id),
    };

    /// <remarks>
    /// Two things differ on PostgreSQL (EF Core has row comparisons for it only). The cursor is a row comparison, which
    /// starts the index scan at the cursor (the expanded OR is only a filter: page 12,000 read 600,000 rows). And with few matches the order is by an
    /// expression no index serves: walking (CreatedAt, Id) until 51 matches turn up, the planner assumes they are
    /// spread evenly, and a search whose matches are all old read nearly the whole table (1.1 s for 1,000 matches in
    /// 1,000,000); fetched through the filter's own indexes and sorted, they cost what the capped count did, plus a sort.
    /// </remarks>
    private static IQueryable<Subscriber> PostgresPage(IQueryable<Subscriber> query, PageRequest page, string? key, DateTime? at, long id)
    {
        var none = TimeSpan.Zero;
        Expression<Func<Subscriber, DateTime>> created = page.Few ? s => s.CreatedAt + none : s => s.CreatedAt;
        return page.Sort switch
        {
            SubscriberSort.Oldest => (at is not { } a ? query : query.Where(s => EF.Functions.GreaterThan(ValueTuple.Create(s.CreatedAt, s.Id), ValueTuple.Create(a, id))))
                .OrderBy(created).ThenBy(s => s.Id),
            SubscriberSort.Email => (key is null ? query : query.Where(s => EF.Functions.GreaterThan(ValueTuple.Create(s.NormalizedEmail, s.Id), ValueTuple.Create(key, id))))
                .OrderBy(s => s.NormalizedEmail).ThenBy(s => s.Id),
            _ => (at is not { } b ? query : query.Where(s => EF.Functions.LessThan(ValueTuple.Create(s.CreatedAt, s.Id), ValueTuple.Create(b, id))))
                .OrderByDescending(created).ThenByDescending(s => s.Id),
        };
    }

    private static (string? Key, long Id) ParseCursor(string? cursor)
    {
        var colon = cursor?.IndexOf(':') ?? -1;
        if (colon <= 0 || !long.TryParse(cursor![..colon], out var id)) return (null, 0);
        var key = cursor[(colon + 1)..];
        return key.Length == 0 ? (null, 0) : (key, id);
    }
}
