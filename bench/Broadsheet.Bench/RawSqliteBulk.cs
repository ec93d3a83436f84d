using System.Diagnostics;
using Microsoft.Data.Sqlite;

namespace Broadsheet.Bench;

/// <summary>
/// The SQLite reference for imports: the same rows inserted with one prepared statement in one transaction into a
/// table shaped like Subscribers (same unique index on the normalised address), WAL as the app runs it.
/// </summary>
public static class RawSqliteBulk
{
    public static async Task<ImportResult> RunAsync(string dbFile, string csv)
    {
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = dbFile, Pooling = false }.ToString());
        await connection.OpenAsync();
        await using (var setup = connection.CreateCommand())
        {
            setup.CommandText = """
                PRAGMA journal_mode=WAL;
                DROP TABLE IF EXISTS "BulkSubscribers";
                CREATE TABLE "BulkSubscribers" (
                    "Id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
                    "Email" TEXT NOT NULL,
                    "NormalizedEmail" TEXT NOT NULL,
                    "Name" TEXT NULL,
                    "Attributes" TEXT NOT NULL,
                    "Status" TEXT NOT NULL,
                    "CreatedAt" TEXT NOT NULL);
                CREATE UNIQUE INDEX "IX_BulkSubscribers_NormalizedEmail" ON "BulkSubscribers" ("NormalizedEmail");
                """;
            await setup.ExecuteNonQueryAsync();
        }
        var clock = Stopwatch.StartNew();
        long rows = 0;
        await using (var tx = connection.BeginTransaction())
        {
            await using var insert = connection.CreateCommand();
            insert.Transaction = tx;
            insert.CommandText = """
                INSERT INTO "BulkSubscribers" ("Email", "NormalizedEmail", "Name", "Attributes", "Status", "CreatedAt")
                VALUES ($email, $key, $name, $attributes, 'Active', $now)
                """;
            var email = insert.Parameters.Add("$email", SqliteType.Text);
            var key = insert.Parameters.Add("$key", SqliteType.Text);
            var name = insert.Parameters.Add("$name", SqliteType.Text);
            var attributes = insert.Parameters.Add("$attributes", SqliteType.Text);
            insert.Parameters.AddWithValue("$now", DateTime.UtcNow);
            insert.Prepare();
            foreach (var row in ImportCsv.Read(csv))
            {
                email.Value = row.Email;
                key.Value = row.Email.ToLowerInvariant();
                name.Value = row.Name;
                attributes.Value = $$"""{"city":"{{row.City}}"}""";
                await insert.ExecuteNonQueryAsync();
                rows++;
            }
            await tx.CommitAsync();
        }
        return new ImportResult("raw-bulk-sqlite", rows, 0, clock.Elapsed.TotalSeconds, 0, 0, "done");
    }
}
