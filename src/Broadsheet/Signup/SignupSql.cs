using Broadsheet.Data;
using Broadsheet.Mail;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;
using NpgsqlTypes;

namespace Broadsheet.Signup;

/// <summary>What a sign-up of an address never seen before writes, all prepared before the database is touched.</summary>
/// <param name="AddressHash">The address's suppression hash: a suppressed address must not be stored.</param>
/// <param name="Source">The page the sign-up came from (already truncated), kept on the subscriber and on each consent.</param>
public sealed record NewSignup(
    string Email, string Key, string AddressHash, string? Source, string? SourceSection, string Wording, string? IpAddress,
    DateTime Now, IReadOnlyList<NewOptIn> OptIns, IReadOnlyList<OutboundEmail> Mail);

/// <summary>One newsletter of a <see cref="NewSignup"/>: pending with a confirmation (double opt-in) or active at once.</summary>
public sealed record NewOptIn(int NewsletterId, bool Pending, string Nonce);

/// <summary>
/// The sign-up's hand-written SQL, in one place. Most sign-ups are of new addresses, and through EF Core each cost a
/// suppression query, a subscriber query, two SaveChanges and a commit: about ten round trips and most of the
/// request's CPU (change tracking, command batching). Here the whole new-address case is one statement on
/// PostgreSQL (data-modifying CTEs, so it commits as one unit) and one short transaction of plain commands on SQLite.
/// It writes only when the address is neither known nor suppressed; otherwise it writes nothing and the caller takes
/// the general path through EF Core. The tests run both forms.
/// </summary>
public static class SignupSql
{
    /// <summary>
    /// Stores <paramref name="signup"/> if its address is new and not suppressed, and sets the ids of its mail; false
    /// (nothing written) otherwise. Mail goes in with whatever claim it carries.
    /// </summary>
    public static async Task<bool> TryInsertNewAsync(BroadsheetDb db, NewSignup signup, CancellationToken ct) =>
        (await TryInsertNewAsync(db, [signup], ct))[0];

    /// <summary>
    /// The same for several sign-ups in one transaction (one round trip on PostgreSQL), each result in order. A later
    /// sign-up sees the earlier ones' rows, so the second of two identical addresses reports false. Any failure rolls
    /// back all of them.
    /// </summary>
    public static Task<IReadOnlyList<bool>> TryInsertNewAsync(BroadsheetDb db, IReadOnlyList<NewSignup> signups, CancellationToken ct) =>
        db.OnPostgres ? PostgresAsync(db, signups, ct) : SqliteAsync(db, signups, ct);

    // The consent's id comes from its sequence first, so the subscription can point at it in the same statement.
    private const string PostgresInsert = """
        WITH subscriber AS (
            INSERT INTO "Subscribers" ("Email", "NormalizedEmail", "Attributes", "Status", "Source", "SourceSection", "CreatedAt")
            SELECT $1, $2, '{}', 'Active', $3, $4, $5
            WHERE NOT EXISTS (SELECT 1 FROM "Suppressions" WHERE "AddressHash" = $6)
            ON CONFLICT DO NOTHING
            RETURNING "Id"),
        opt_in AS (
            SELECT o.newsletter, o.pending, o.nonce, nextval(pg_get_serial_sequence('"Consents"', 'Id')) AS consent
            FROM unnest($7::integer[], $8::boolean[], $9::text[]) AS o(newsletter, pending, nonce)
            WHERE EXISTS (SELECT 1 FROM subscriber)),
        subscription AS (
            INSERT INTO "Subscriptions" ("SubscriberId", "NewsletterId", "Status", "CreatedAt", "ConfirmedAt", "ConfirmationSentAt", "CurrentConsentId")
            SELECT s."Id", o.newsletter, CASE WHEN o.pending THEN 'Pending' ELSE 'Active' END, $5,
                   CASE WHEN o.pending THEN NULL ELSE $5 END, CASE WHEN o.pending THEN $5 END, o.consent
            FROM opt_in o CROSS JOIN subscriber s
            RETURNING "Id", "NewsletterId"),
        consent AS (
            INSERT INTO "Consents" ("Id", "SubscriptionId", "SubscriberId", "Nonce", "NewsletterId", "Wording", "SourceUrl", "IpAddress", "GivenAt", "ConfirmedAt")
            SELECT o.consent, x."Id", s."Id", o.nonce, o.newsletter, $10, $3, $11, $5, CASE WHEN o.pending THEN NULL ELSE $5 END
            FROM opt_in o JOIN subscription x ON x."NewsletterId" = o.newsletter CROSS JOIN subscriber s),
        mail AS (
            INSERT INTO "OutboundEmails" ("Kind", "ToAddress", "SubscriberId", "Subject", "HtmlBody", "TextBody", "MessageId", "Status", "Attempts", "NextAttemptAt", "CreatedAt", "ClaimedUntil")
            SELECT m.kind, m.address, s."Id", m.subject, m.html, m.text, m.message_id, 'Queued', 0, coalesce($18, $5), $5, $18
            FROM unnest($12::text[], $13::text[], $14::text[], $15::text[], $16::text[], $17::text[]) AS m(kind, address, subject, html, text, message_id)
            CROSS JOIN subscriber s
            RETURNING "Id", "MessageId")
        SELECT (SELECT "Id" FROM subscriber), ARRAY(SELECT "Id" FROM mail), ARRAY(SELECT "MessageId" FROM mail)
        """;

    private static async Task<IReadOnlyList<bool>> PostgresAsync(BroadsheetDb db, IReadOnlyList<NewSignup> signups, CancellationToken ct)
    {
        await db.Database.OpenConnectionAsync(ct);
        try
        {
            // Without an explicit transaction Npgsql runs a batch as one implicit transaction: a failing statement rolls back all.
            await using var batch = new NpgsqlBatch((NpgsqlConnection)db.Database.GetDbConnection());
            foreach (var signup in signups)
            {
                var command = new NpgsqlBatchCommand(PostgresInsert);
                AddParameters(command.Parameters, signup);
                batch.BatchCommands.Add(command);
            }
            // Prepared once per pooled connection (Npgsql keeps it across pool returns, and a batch's identical statements
            // share it): PostgreSQL then skips parsing and planning five CTEs on every sign-up.
            await batch.PrepareAsync(ct);
            await using var reader = await batch.ExecuteReaderAsync(ct);
            var stored = new bool[signups.Count];
            for (var i = 0; i < signups.Count; i++)
            {
                if (i > 0) await reader.NextResultAsync(ct);
                await reader.ReadAsync(ct);
                if (reader.IsDBNull(0)) continue; // no subscriber row: nothing of this sign-up was written
                stored[i] = true;
                var subscriberId = reader.GetInt64(0);
                var ids = reader.GetFieldValue<long[]>(1);
                var messageIds = reader.GetFieldValue<string[]>(2);
                foreach (var m in signups[i].Mail)
                {
                    m.Id = ids[Array.IndexOf(messageIds, m.MessageId)];
                    m.SubscriberId = subscriberId;
                }
            }
            return stored;
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    private static void AddParameters(NpgsqlParameterCollection p, NewSignup s)
    {
        p.Add(new NpgsqlParameter<string> { TypedValue = s.Email });
        p.Add(new NpgsqlParameter<string> { TypedValue = s.Key });
        p.Add(Text(s.Source));
        p.Add(Text(s.SourceSection));
        p.Add(new NpgsqlParameter<DateTime> { TypedValue = s.Now, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        p.Add(new NpgsqlParameter<string> { TypedValue = s.AddressHash });
        p.Add(new NpgsqlParameter<int[]> { TypedValue = [.. s.OptIns.Select(o => o.NewsletterId)] });
        p.Add(new NpgsqlParameter<bool[]> { TypedValue = [.. s.OptIns.Select(o => o.Pending)] });
        p.Add(new NpgsqlParameter<string[]> { TypedValue = [.. s.OptIns.Select(o => o.Nonce)] });
        p.Add(new NpgsqlParameter<string> { TypedValue = s.Wording });
        p.Add(Text(s.IpAddress));
        p.Add(new NpgsqlParameter<string[]> { TypedValue = [.. s.Mail.Select(m => m.Kind)] });
        p.Add(new NpgsqlParameter<string[]> { TypedValue = [.. s.Mail.Select(m => m.ToAddress)] });
        p.Add(new NpgsqlParameter<string[]> { TypedValue = [.. s.Mail.Select(m => m.Subject)] });
        p.Add(new NpgsqlParameter<string[]> { TypedValue = [.. s.Mail.Select(m => m.HtmlBody)] });
        p.Add(new NpgsqlParameter<string[]> { TypedValue = [.. s.Mail.Select(m => m.TextBody)] });
        p.Add(new NpgsqlParameter<string[]> { TypedValue = [.. s.Mail.Select(m => m.MessageId)] });
        p.Add(new NpgsqlParameter { Value = (object?)s.Mail.FirstOrDefault()?.ClaimedUntil ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz });
    }

    private static NpgsqlParameter Text(string? value) => new() { Value = (object?)value ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text };

    private static async Task<IReadOnlyList<bool>> SqliteAsync(BroadsheetDb db, IReadOnlyList<NewSignup> signups, CancellationToken ct)
    {
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var connection = (SqliteConnection)db.Database.GetDbConnection();
        var transaction = (SqliteTransaction)tx.GetDbTransaction();
        var stored = new bool[signups.Count];
        for (var i = 0; i < signups.Count; i++) stored[i] = await SqliteOneAsync(connection, transaction, signups[i], ct);
        await tx.CommitAsync(ct);
        return stored;
    }

    private static async Task<bool> SqliteOneAsync(SqliteConnection connection, SqliteTransaction transaction, NewSignup s, CancellationToken ct)
    {
        SqliteCommand Command(string sql, params (string Name, object? Value)[] parameters)
        {
            var command = new SqliteCommand(sql, connection, transaction);
            foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value ?? DBNull.Value);
            return command;
        }

        long subscriberId;
        // "WHERE NOT EXISTS" also tells SQLite's parser that ON CONFLICT belongs to the INSERT, not to a join.
        await using (var insert = Command("""
            INSERT INTO "Subscribers" ("Email", "NormalizedEmail", "Attributes", "Status", "Source", "SourceSection", "CreatedAt")
            SELECT $email, $key, '{}', 'Active', $source, $section, $now
            WHERE NOT EXISTS (SELECT 1 FROM "Suppressions" WHERE "AddressHash" = $hash)
            ON CONFLICT DO NOTHING
            RETURNING "Id"
            """, ("$email", s.Email), ("$key", s.Key), ("$source", s.Source), ("$section", s.SourceSection), ("$now", s.Now), ("$hash", s.AddressHash)))
        {
            if (await insert.ExecuteScalarAsync(ct) is not long id) return false; // nothing of this sign-up was written
            subscriberId = id;
            foreach (var o in s.OptIns)
            {
                DateTime? confirmed = o.Pending ? null : s.Now;
                await using var subscription = Command("""
                    INSERT INTO "Subscriptions" ("SubscriberId", "NewsletterId", "Status", "CreatedAt", "ConfirmedAt", "ConfirmationSentAt")
                    VALUES ($subscriber, $newsletter, $status, $now, $confirmed, $sent)
                    RETURNING "Id"
                    """, ("$subscriber", subscriberId), ("$newsletter", o.NewsletterId), ("$status", o.Pending ? "Pending" : "Active"),
                    ("$now", s.Now), ("$confirmed", confirmed), ("$sent", o.Pending ? s.Now : null));
                var subscriptionId = (long)(await subscription.ExecuteScalarAsync(ct))!;
                await using var consent = Command("""
                    INSERT INTO "Consents" ("SubscriptionId", "SubscriberId", "Nonce", "NewsletterId", "Wording", "SourceUrl", "IpAddress", "GivenAt", "ConfirmedAt")
                    VALUES ($subscription, $subscriber, $nonce, $newsletter, $wording, $source, $ip, $now, $confirmed);
                    UPDATE "Subscriptions" SET "CurrentConsentId" = last_insert_rowid() WHERE "Id" = $subscription
                    """, ("$subscription", subscriptionId), ("$subscriber", subscriberId), ("$nonce", o.Nonce), ("$newsletter", o.NewsletterId),
                    ("$wording", s.Wording), ("$source", s.Source), ("$ip", s.IpAddress), ("$now", s.Now), ("$confirmed", confirmed));
                await consent.ExecuteNonQueryAsync(ct);
            }
        }
        foreach (var m in s.Mail)
        {
            await using var mail = Command("""
                INSERT INTO "OutboundEmails" ("Kind", "ToAddress", "SubscriberId", "Subject", "HtmlBody", "TextBody", "MessageId", "Status", "Attempts", "NextAttemptAt", "CreatedAt", "ClaimedUntil")
                VALUES ($kind, $to, $subscriber, $subject, $html, $text, $messageId, 'Queued', 0, $next, $now, $claimedUntil)
                RETURNING "Id"
                """, ("$kind", m.Kind), ("$to", m.ToAddress), ("$subscriber", subscriberId), ("$subject", m.Subject), ("$html", m.HtmlBody), ("$text", m.TextBody),
                ("$messageId", m.MessageId), ("$now", s.Now), ("$next", m.ClaimedUntil ?? s.Now), ("$claimedUntil", m.ClaimedUntil));
            m.Id = (long)(await mail.ExecuteScalarAsync(ct))!;
            m.SubscriberId = subscriberId;
        }
        return true;
    }
}
