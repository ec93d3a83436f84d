using Microsoft.EntityFrameworkCore;

namespace Broadsheet.Data;

/// <summary>
/// SQLite lets one connection write at a time, and a connection waiting for the write lock blocks its thread.
/// Request paths that write take this async gate first, so under load they queue without tying up threads;
/// on PostgreSQL it does nothing.
/// </summary>
public sealed class SqliteWriteGate
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    public async Task<IDisposable?> EnterAsync(BroadsheetDb db, CancellationToken ct)
    {
        if (db.OnPostgres) return null;
        await _gate.WaitAsync(ct);
        return new Release(_gate);
    }

    /// <summary>The same, blocking: for the send engine's connections, which each have a thread of their own.</summary>
    public IDisposable? Enter(BroadsheetDb db, CancellationToken ct)
    {
        if (db.OnPostgres) return null;
        _gate.Wait(ct);
        return new Release(_gate);
    }

    private sealed class Release(SemaphoreSlim gate) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0) gate.Release();
        }
    }
}
