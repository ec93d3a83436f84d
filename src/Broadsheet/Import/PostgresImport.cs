using Broadsheet.Data;
using Broadsheet.Newsletters;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;

namespace Broadsheet.Import;

/// <summary>
/// The PostgreSQL import path, in hand-written SQL because EF Core has no bulk upsert: the batch goes into a temporary
/// table with binary COPY, then a few set-based statements merge it (new subscribers, updated ones under the update
/// policy, their subscriptions and consent records). It runs inside the job worker's transaction.
/// </summary>
public static class PostgresImport
{
    public static async Task WriteAsync(BroadsheetDb db, ImportParameters p, Newsletter newsletter, List<ImportRow> rows, CancellationToken ct)
    {
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        var now = DateTime.UtcNow;

        await Execute(connection, """
            CREATE TEMP TABLE import_rows (line bigint, email text, normalized text, name text, attributes jsonb) ON COMMIT DROP;
            CREATE TEMP TABLE import_targets (subscriber_id bigint PRIMARY KEY) ON COMMIT DROP;
            CREATE TEMP TABLE import_subscriptions (id bigint, subscriber_id bigint, consent_id bigint) ON COMMIT DROP;
            """, ct);

        await using (var copy = await connection.BeginBinaryImportAsync("COPY import_rows (line, email, normalized, name, attributes) FROM STDIN (FORMAT BINARY)", ct))
        {
            foreach (var row in rows)
            {
                await copy.StartRowAsync(ct);
                await copy.WriteAsync(row.Line, NpgsqlDbType.Bigint, ct);
                await copy.WriteAsync(row.Email, NpgsqlDbType.Text, ct);
                await copy.WriteAsync(row.Key, NpgsqlDbType.Text, ct);
                if (row.Name is null) await copy.WriteNullAsync(ct); else await copy.WriteAsync(row.Name, NpgsqlDbType.Text, ct);
                await copy.WriteAsync(row.Attributes, NpgsqlDbType.Jsonb, ct);
            }
            await copy.CompleteAsync(ct);
        }

        // New addresses. The caller already made the batch one row per address.
        await Execute(connection, """
            WITH inserted AS (
                INSERT INTO "Subscribers" ("Email", "NormalizedEmail", "Name", "Attributes", "Status", "Source", "CreatedAt")
                SELECT email, normalized, name, attributes, 'Active', @source, @now FROM import_rows
                ON CONFLICT ("NormalizedEmail") DO NOTHING
                RETURNING "Id")
            INSERT INTO import_targets SELECT "Id" FROM inserted;
            """, ct, ("source", $"import: {p.FileName}"), ("now", now));

        if (p.Policy == DuplicatePolicy.Update)
        {
            // Existing addresses: new name if the file has one, attributes merged (the file's values win). Those
            // without a subscription to this newsletter get one below; an unsubscribed one stays unsubscribed.
            await Execute(connection, """
                WITH updated AS (
                    UPDATE "Subscribers" s SET "Name" = COALESCE(r.name, s."Name"), "Attributes" = s."Attributes" || r.attributes
                    FROM import_rows r
                    WHERE s."NormalizedEmail" = r.normalized AND s."Id" NOT IN (SELECT subscriber_id FROM import_targets)
                    RETURNING s."Id")
                INSERT INTO import_targets SELECT "Id" FROM updated;
                """, ct);
        }

        // Each subscription takes its consent's id from the Consents sequence as it is inserted, so the consent can
        // then be written with that id and no subscription row is written twice.
        await Execute(connection, """
            WITH inserted AS (
                INSERT INTO "Subscriptions" ("SubscriberId", "NewsletterId", "Status", "CreatedAt", "ConfirmedAt", "CurrentConsentId")
                SELECT subscriber_id, @newsletter, @status, @now, @confirmed, nextval(pg_get_serial_sequence('"Consents"', 'Id')) FROM import_targets
                ON CONFLICT ("SubscriberId", "NewsletterId") DO NOTHING
                RETURNING "Id", "SubscriberId", "CurrentConsentId")
            INSERT INTO import_subscriptions SELECT "Id", "SubscriberId", "CurrentConsentId" FROM inserted;
            """, ct, ("newsletter", newsletter.Id), ("status", p.Pending ? "Pending" : "Active"), ("now", now), ("confirmed", p.Pending ? DBNull.Value : now));

        await Execute(connection, """
            INSERT INTO "Consents" ("Id", "SubscriptionId", "SubscriberId", "NewsletterId", "Wording", "GivenAt", "ConfirmedAt")
            SELECT consent_id, id, subscriber_id, @newsletter, @wording, @now, @confirmed FROM import_subscriptions;
            """, ct, ("newsletter", newsletter.Id), ("wording", p.ConsentWording), ("now", now), ("confirmed", p.Pending ? DBNull.Value : now));
    }

    private static async Task Execute(NpgsqlConnection connection, string sql, CancellationToken ct, params (string Name, object Value)[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value);
        await command.ExecuteNonQueryAsync(ct);
    }
}
