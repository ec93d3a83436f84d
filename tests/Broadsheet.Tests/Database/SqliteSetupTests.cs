using Broadsheet.Data;
using Broadsheet.Subscribers;
using Broadsheet.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Broadsheet.Tests.Database;

/// <summary>
/// What the app sets up on SQLite beyond the model: the write-ahead log is copied into the database by a background
/// checkpointer, and writers do it themselves only past a backstop.
/// </summary>
[Collection(SqliteCollection.Name)]
public sealed class SqliteSetupTests(SqliteApp app)
{
    [Fact]
    public async Task Writers_checkpoint_only_past_the_backstop()
    {
        var pages = await app.Server.QueryAsync(db => db.Database.SqlQueryRaw<int>("PRAGMA wal_autocheckpoint").ToListAsync());
        Assert.Equal(SqliteBusyTimeout.BackstopPages, Assert.Single(pages));
    }

    [Fact]
    public async Task A_write_reaches_the_database_file_in_the_background_within_seconds()
    {
        // In WAL mode a commit writes only the log; the database file changes when a checkpoint copies the log into
        // it. One small write is far below the writers' backstop, so only the background checkpointer can copy it.
        var file = new FileInfo(Path.Combine(app.Server.DataPath, "broadsheet.db"));
        var before = file.LastWriteTimeUtc;
        await Task.Delay(50); // past the file system's time resolution
        await app.Server.QueryAsync(db =>
        {
            db.Suppressions.Add(new Suppression { AddressHash = "checkpoint-test-" + Guid.NewGuid().ToString("N"), CreatedAt = DateTime.UtcNow });
            return db.SaveChangesAsync();
        });

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            file.Refresh();
            if (file.LastWriteTimeUtc > before) return;
            await Task.Delay(100);
        }
        Assert.Fail($"The database file was not written within 10 s of a commit (last written {file.LastWriteTimeUtc:O}).");
    }
}
