using Microsoft.Data.Sqlite;

namespace Broadsheet.Data;

/// <summary>Copies SQLite's write-ahead log into the database file in the background, beside the writers rather than in their way.</summary>
/// <remarks>
/// A passive checkpoint takes no lock that writers need: they keep appending to the log while it copies, and once the
/// copy has caught up the next writer starts the log again from its beginning. Left to SQLite, the copy and its file
/// sync ran inside whichever commit pushed the log past 1,000 pages, holding the single write lock all the while
/// (see <see cref="SqliteBusyTimeout"/> for the backstop). Under writes it runs every <see cref="Busy"/>, when idle
/// every <see cref="Idle"/> (nothing to copy costs a few reads of the shared-memory index).
/// </remarks>
public sealed class SqliteCheckpointer(string connectionString, ILogger<SqliteCheckpointer> logger) : BackgroundService
{
    private static readonly TimeSpan Busy = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan Idle = TimeSpan.FromMilliseconds(500);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield(); // the host's start does not wait for the loop
        var failing = false;
        var lastLog = -1;
        while (!stoppingToken.IsCancellationRequested)
        {
            var written = false;
            try
            {
                var log = Checkpoint();
                written = log != lastLog; // the log grew, or a writer started it again: there are writes
                lastLog = log;
                failing = false;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // A passing failure (the disk, the file replaced): writers' backstop still bounds the log, and a background
                // service that threw would stop the whole app. Said once per spell.
                if (!failing) logger.LogWarning("SQLite checkpoint failed, will retry: {Error}", ex.Message);
                failing = true;
                ClearConnection();
            }
            try
            {
                await Task.Delay(written ? Busy : Idle, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
        ClearConnection();
    }

    private SqliteConnection? _connection;
    private SqliteCommand? _command;

    /// <summary>One passive checkpoint; the number of pages in the log.</summary>
    private int Checkpoint()
    {
        if (_command is null)
        {
            _connection = new SqliteConnection(connectionString);
            _connection.Open();
            _command = _connection.CreateCommand();
            _command.CommandText = "PRAGMA wal_checkpoint(PASSIVE);";
        }
        using var reader = _command.ExecuteReader();
        // (busy, pages in the log, pages of it in the database by now); -1 when the database is not in WAL mode.
        return reader.Read() ? reader.GetInt32(1) : -1;
    }

    private void ClearConnection()
    {
        _command?.Dispose();
        _connection?.Dispose();
        _command = null;
        _connection = null;
    }
}
