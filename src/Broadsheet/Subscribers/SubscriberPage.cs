using Broadsheet.Data;
using Microsoft.EntityFrameworkCore;

namespace Broadsheet.Subscribers;

/// <summary>How the console list is ordered.</summary>
public enum SubscriberSort { Newest, Oldest, Email }

/// <summary>
/// Keyset pagination over a filtered subscriber query: each page continues after the last row of the previous one
/// (sort key, then id), so page 10,000 costs what page 1 costs.
/// </summary>
public static class SubscriberPage
{
    public static async Task<(List<Subscriber> Rows, string? Next)> ReadAsync(IQueryable<Subscriber> query, SubscriberSort sort, string? after, int size, CancellationToken ct)
    {
        var (key, id) = ParseCursor(after);
        DateTime? at = key is not null && sort != SubscriberSort.Email && long.TryParse(key, out var ticks) && ticks >= 0 && ticks <= DateTime.MaxValue.Ticks
            ? new DateTime(ticks, DateTimeKind.Utc) : null;
        query = sort switch
        {
            SubscriberSort.Oldest => (at is not { } a ? query : query.Where(s => s.CreatedAt > a || (s.CreatedAt == a && s.Id > id)))
                .OrderBy(s => s.CreatedAt).ThenBy(s => s.Id),
            SubscriberSort.Email => (key is null ? query : query.Where(s => s.NormalizedEmail.CompareTo(key) > 0 || (s.NormalizedEmail == key && s.Id > id)))
                .OrderBy(s => s.NormalizedEmail).ThenBy(s => s.Id),
            _ => (at is not { } b ? query : query.Where(s => s.CreatedAt < b || (s.CreatedAt == b && s.Id < id)))
                .OrderByDescending(s => s.CreatedAt).ThenByDescending(s => s.Id),
        };
        var rows = await query.AsNoTracking().Take(size + 1).ToListAsync(ct);
        if (rows.Count <= size) return (rows, null);
        rows.RemoveAt(size);
        var last = rows[^1];
        var lastKey = sort == SubscriberSort.Email ? last.NormalizedEmail : last.CreatedAt.Ticks.ToString();
        return (rows, $"{last.Id}:{lastKey}");
    }

    private static (string? Key, long Id) ParseCursor(string? cursor)
    {
        var colon = cursor?.IndexOf(':') ?? -1;
        if (colon <= 0 || !long.TryParse(cursor![..colon], out var id)) return (null, 0);
        var key = cursor[(colon + 1)..];
        return key.Length == 0 ? (null, 0) : (key, id);
    }
}
