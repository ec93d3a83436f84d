using Broadsheet.Data;
using Broadsheet.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Broadsheet.Tests.Subscribers;

/// <summary>The list's queries below the page: reads without parallel workers.</summary>
public abstract class SubscriberListQueryTests(AppFixture app)
{
    private BroadsheetServer Server => app.Server;

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

    /// <summary>PostgreSQL's max_parallel_workers_per_gather on the context's connection ("none" on SQLite).</summary>
    private static Task<string> ParallelWorkersAsync(BroadsheetDb db) => db.Database.IsNpgsql()
        ? db.Database.SqlQueryRaw<string>("SELECT current_setting('max_parallel_workers_per_gather') AS \"Value\"").SingleAsync()
        : db.Database.SqlQueryRaw<string>("SELECT 'none' AS \"Value\"").SingleAsync();
}

[Collection(SqliteCollection.Name)]
public sealed class SubscriberListQueryTestsOnSqlite(SqliteApp app) : SubscriberListQueryTests(app);

[Collection(PostgresCollection.Name)]
public sealed class SubscriberListQueryTestsOnPostgres(PostgresApp app) : SubscriberListQueryTests(app);
