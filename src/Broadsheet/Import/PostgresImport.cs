using Broadsheet.Data;
using Broadsheet.Jobs;
using Broadsheet.Newsletters;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;

namespace Broadsheet.Import;

/// <summary>
/// The PostgreSQL import path, and the import's only hand-written SQL (EF Core has no bulk upsert): the batch goes
/// into a temporary table with binary COPY, then one statement checks it against the suppression list and merges it
/// (subscribers, their subscriptions and consent records). It runs inside the job worker's transaction, so a batch is
/// written whole or not at all.
/// </summary>
public static class PostgresImport
{
    // TEMP: no WAL, and gone with the transaction. No index: the merge reads it in file order.
    private const string Staging = "CREATE TEMP TABLE import_rows (line bigint, email text, normalized text, name text, attributes jsonb, hash text, chosen boolean) ON COMMIT DROP";
    private const string Copy = "COPY import_rows (line, email, normalized, name, attributes, hash, chosen) FROM STDIN (FORMAT BINARY)";

    /// <summary>
    /// One statement, so PostgreSQL passes the rows from insert to insert without temporary tables or round trips;
    /// it answers how many rows were on the suppression list. Those rows (every line) are rejected. Of the others,
    /// one row per address (<c>chosen</c> by the caller) is merged: new addresses become subscribers;
    /// existing ones are left as they are (skip) or get the file's name, if any, and its attributes merged over theirs
    /// (update). Every subscriber the insert returns (new, or updated) gets a subscription to the newsletter unless it
    /// has one (an unsubscribed one stays unsubscribed; a new subscriber has none, so skip needs no conflict check),
    /// and each new subscription gets its consent record. The consent's id is drawn from its sequence as the
    /// subscription is inserted, so no row is written twice; the sequence is looked up once (a sub-select), not per row.
    /// </summary>
    private static string Merge(DuplicatePolicy policy) => $$"""
        WITH rejected AS (
            INSERT INTO "ImportRejection" ("JobId", "Line", "Value", "Reason")
            SELECT @job, r.line, r.email, 'on the suppression list' FROM import_rows r JOIN "Suppressions" s ON s."AddressHash" = r.hash
            RETURNING 1),
        subscribers AS (
            INSERT INTO "Subscribers" ("Email", "NormalizedEmail", "Name", "Attributes", "Status", "Source", "CreatedAt")
            SELECT email, normalized, name, attributes, 'Active', @source, @now FROM import_rows r
            WHERE chosen AND NOT EXISTS (SELECT FROM "Suppressions" s WHERE s."AddressHash" = r.hash)
            ON CONFLICT ("NormalizedEmail") {{(policy == DuplicatePolicy.Update
                ? """DO UPDATE SET "Name" = COALESCE(EXCLUDED."Name", "Subscribers"."Name"), "Attributes" = "Subscribers"."Attributes" || EXCLUDED."Attributes" """
                : "DO NOTHING")}}
            RETURNING "Id"),
        subscriptions AS (
            INSERT INTO "Subscriptions" ("SubscriberId", "NewsletterId", "Status", "CreatedAt", "ConfirmedAt", "CurrentConsentId")
            SELECT "Id", @newsletter, @status, @now, @confirmed, nextval((SELECT pg_get_serial_sequence('"Consents"', 'Id'))::regclass) FROM subscribers
            {{(policy == DuplicatePolicy.Update ? """ON CONFLICT ("SubscriberId", "NewsletterId") DO NOTHING""" : "")}}
            RETURNING "Id", "SubscriberId", "CurrentConsentId"),
        consents AS (
            INSERT INTO "Consents" ("Id", "SubscriptionId", "SubscriberId", "NewsletterId", "Wording", "GivenAt", "ConfirmedAt")
            SELECT "CurrentConsentId", "Id", "SubscriberId", @newsletter, @wording, @now, @confirmed FROM subscriptions)
        SELECT count(*) FROM rejected
        """;

    /// <summary>Writes the batch's valid rows (in file order; <paramref name="merged"/>: the one row per address to merge); returns how many were suppressed.</summary>
    public static async Task<int> WriteAsync(BroadsheetDb db, Job job, ImportParameters p, Newsletter newsletter, List<ImportRow> rows, List<ImportRow> merged, CancellationToken ct)
    {
        var chosen = merged.ToHashSet(ReferenceEqualityComparer.Instance);
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        await using (var staging = new NpgsqlCommand(Staging, connection)) await staging.ExecuteNonQueryAsync(ct);

        await using (var copy = await connection.BeginBinaryImportAsync(Copy, ct))
        {
            foreach (var row in rows)
            {
                await copy.StartRowAsync(ct);
                await copy.WriteAsync(row.Line, NpgsqlDbType.Bigint, ct);
                await copy.WriteAsync(row.Email, NpgsqlDbType.Text, ct);
                await copy.WriteAsync(row.Key, NpgsqlDbType.Text, ct);
                if (row.Name is null) await copy.WriteNullAsync(ct); else await copy.WriteAsync(row.Name, NpgsqlDbType.Text, ct);
                await copy.WriteAsync(row.Attributes, NpgsqlDbType.Jsonb, ct);
                await copy.WriteAsync(row.Hash, NpgsqlDbType.Text, ct);
                await copy.WriteAsync(chosen.Contains(row), NpgsqlDbType.Boolean, ct);
            }
            await copy.CompleteAsync(ct);
        }

        var now = DateTime.UtcNow;
        object confirmed = p.Pending ? DBNull.Value : now;
        await using var merge = new NpgsqlCommand(Merge(p.Policy), connection)
        {
            Parameters =
            {
                new("job", job.Id), new("source", $"import: {p.FileName}"), new("now", now), new("newsletter", newsletter.Id),
                new("status", p.Pending ? "Pending" : "Active"), new("confirmed", confirmed), new("wording", p.ConsentWording),
            },
        };
        return (int)(long)(await merge.ExecuteScalarAsync(ct))!;
    }

    /// <summary>
    /// Refreshes the planner's statistics of the tables an import fills. A large import changes them at once, and
    /// until autovacuum next analyzes them (it looks once a minute) the planner estimates with the old figures: right
    /// after a million-row import the console's address search once took 214 ms a page instead of 8. Run in the last
    /// batch's transaction, so an import reported done is searchable at full speed.
    /// </summary>
    public static Task AnalyzeAsync(BroadsheetDb db, CancellationToken ct) =>
        db.Database.ExecuteSqlRawAsync("ANALYZE \"Subscribers\", \"Subscriptions\", \"Consents\"", ct);
}
