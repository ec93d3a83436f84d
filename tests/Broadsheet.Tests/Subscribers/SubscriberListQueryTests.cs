using Broadsheet.Data;
using Broadsheet.Subscribers;
using Broadsheet.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Broadsheet.Tests.Subscribers;

/// <summary>The list's queries below the page: both ways of ordering a page, and reads without parallel workers.</summary>
public abstract class SubscriberListQueryTests(AppFixture app)
{
    private BroadsheetServer Server => app.Server;

    [Fact]
    public async Task A_few_matches_sorted_and_the_index_walk_give_the_same_pages()
    {
        var tag = Audience.NewTag();
        var people = await Audience.AddAsync(Server, tag, 70);
        foreach (var (sort, expected) in new[]
        {
            (SubscriberSort.Newest, people.OrderByDescending(p => p.CreatedAt).ThenByDescending(p => p.Id).Select(p => p.Id).ToList()),
            (SubscriberSort.Oldest, people.OrderBy(p => p.CreatedAt).ThenBy(p => p.Id).Select(p => p.Id).ToList()),
            (SubscriberSort.Email, people.OrderBy(p => p.NormalizedEmail, StringComparer.Ordinal).Select(p => p.Id).ToList()),
        })
        {
            // Pages of 20 over 70 rows: cursors inside runs of equal sign-up times (three per instant).
            Assert.Equal(expected, await ReadAllAsync(tag, sort, few: true));
            Assert.Equal(expected, await ReadAllAsync(tag, sort, few: false));
        }
    }

    [Fact]
    public async Task Serial_reads_turn_parallel_workers_off_only_for_their_own_transaction()
    {
        var (before, inside, after, open) = await Server.QueryAsync(async db =>
        {
            // One connection throughout, so a setting that outlived the transaction would show in the last read.
            await db.Database.OpenConnectionAsync();
            var before = await ParallelWorkersAsync(db);
            var inside = await SerialReads.RunAsync(db, () => ParallelWorkersAsync(db), CancellationToken.None);
            return (before, inside, await ParallelWorkersAsync(db), db.Database.CurrentTransaction is not null);
        });
        Assert.False(open);
        if (app.Kind == DatabaseKind.Postgres)
        {
            Assert.NotEqual("0", before);
            Assert.Equal("0", inside);
            Assert.Equal(before, after);
        }
        else
        {
            Assert.Equal(["none", "none", "none"], new[] { before, inside, after });
        }
    }

    private async Task<List<long>> ReadAllAsync(string tag, SubscriberSort sort, bool few)
    {
        var ids = new List<long>();
        string? after = null;
        do
        {
            var (rows, next) = await Server.QueryAsync(async db =>
                await SubscriberPage.ReadAsync(db, await new SubscriberFilter { Source = tag }.ApplyAsync(db, default), new(sort, after, 20, few), default));
            ids.AddRange(rows.Select(r => r.Id));
            after = next;
        } while (after is not null && ids.Count <= 70);
        return ids;
    }

    /// <summary>PostgreSQL's max_parallel_workers_per_gather on the context's connection ("none" on SQLite).</summary>
    private static Task<string> ParallelWorkersAsync(BroadsheetDb db) => db.Database.IsNpgsql()
        ? db.Database.SqlQueryRaw<string>("SELECT current_setting('max_parallel_workers_per_gather') AS \"Value\"").SingleAsync()
        : db.Database.SqlQueryRaw<string>("SELECT 'none' AS \"Value\"").SingleAsync();
}

[Collection(SqliteCollection.Name)]
public sealed class SubscriberListQueryTestsOnSqlite(SqliteApp app) : SubscriberListQueryTests(app);

[Collection(PostgresCollection.Name)]
public sealed class SubscriberListQueryTestsOnPostgres(PostgresApp app) : SubscriberListQueryTests(app);
