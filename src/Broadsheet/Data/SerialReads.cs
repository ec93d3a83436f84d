using Microsoft.EntityFrameworkCore;

namespace Broadsheet.Data;

/// <summary>Runs console reads over the subscriber tables on PostgreSQL without parallel workers.</summary>
/// <remarks>
/// On a large, freshly analysed table the planner likes parallel plans even for a LIMIT 51 that touches a dozen
/// pages, and starting the workers costs tens of milliseconds on a busy machine, more than the read itself; full
/// counts measured faster without them too. <c>SET LOCAL</c> ends with the transaction, so the pooled connection
/// (returned without a reset) keeps nothing. SQLite has no parallel plans: there the read just runs.
/// </remarks>
public static class SerialReads
{
    public static async Task<T> RunAsync<T>(BroadsheetDb db, Func<Task<T>> read, CancellationToken ct)
    {
        if (!db.OnPostgres) return await read();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await db.Database.ExecuteSqlRawAsync("SET LOCAL max_parallel_workers_per_gather = 0", ct);
        var result = await read();
        await tx.CommitAsync(ct);
        return result;
    }

    public static Task RunAsync(BroadsheetDb db, Func<Task> read, CancellationToken ct) =>
        RunAsync(db, async () => { await read(); return true; }, ct);
}
