using Broadsheet.Data;
using Broadsheet.Mail;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
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
/// PostgreSQL (data-modifying CTEs, so it commits as one unit) and one short transaction of prepared commands on
/// SQLite. It writes only when the address is neither known nor suppressed; otherwise it writes nothing and the caller
/// takes the general path through EF Core. <see cref="NewSignupWriter"/> chooses the form; the tests run both.
/// </summary>
public static class SignupSql
{
    // One statement for the whole batch, the sign-ups passed as arrays (ordinal n = position in the batch). A batch
    // used to be one execution of a per-sign-up statement each; pgbench of the two on the app's schema (5 sign-ups per
    // transaction) measured about half the PostgreSQL CPU per sign-up this way: the plan is started, and its
    // sub-plans run, once per batch instead of once per sign-up. Two sign-ups of one address in a batch: the first
    // in order is inserted (ORDER BY n; ON CONFLICT skips the later one) and only it is reported stored. The consent's
    // id comes from its sequence first, so the subscription can point at it in the same statement. The sequence is
    // named, not looked up: pg_get_serial_sequence searched the catalog on every execution (3 % of PostgreSQL's CPU
    // per row, 1.5 % once per statement), a name is resolved once when the statement is prepared. The name is the one
    // PostgreSQL gives an identity column's sequence; a test checks it against the catalog.
    private const string PostgresInsert = """
        WITH input AS (
            SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::text[], $8::text[])
                WITH ORDINALITY AS i(email, key, hash, source, section, now, wording, ip, n)),
        subscriber AS (
            INSERT INTO "Subscribers" ("Email", "NormalizedEmail", "Attributes", "Status", "Source", "SourceSection", "CreatedAt")
            SELECT i.email, i.key, '{}', 'Active', i.source, i.section, i.now
            FROM input i
            WHERE NOT EXISTS (SELECT 1 FROM "Suppressions" WHERE "AddressHash" = i.hash)
            ORDER BY i.n
            ON CONFLICT DO NOTHING
            RETURNING "Id", "NormalizedEmail"),
        stored AS (
            SELECT DISTINCT ON (i.key) i.*, s."Id" AS subscriber
            FROM subscriber s JOIN input i ON i.key = s."NormalizedEmail"
            ORDER BY i.key, i.n),
        opt_in AS (
            SELECT st.subscriber, st.now, st.wording, st.source, st.ip, o.newsletter, o.pending, o.nonce,
                   nextval('"Consents_Id_seq"') AS consent
            FROM unnest($9::bigint[], $10::integer[], $11::boolean[], $12::text[]) AS o(n, newsletter, pending, nonce)
            JOIN stored st ON st.n = o.n),
        subscription AS (
            INSERT INTO "Subscriptions" ("SubscriberId", "NewsletterId", "Status", "CreatedAt", "ConfirmedAt", "ConfirmationSentAt", "CurrentConsentId")
            SELECT o.subscriber, o.newsletter, CASE WHEN o.pending THEN 'Pending' ELSE 'Active' END, o.now,
                   CASE WHEN o.pending THEN NULL ELSE o.now END, CASE WHEN o.pending THEN o.now END, o.consent
            FROM opt_in o
            RETURNING "Id", "SubscriberId", "NewsletterId"),
        consent AS (
            INSERT INTO "Consents" ("Id", "SubscriptionId", "SubscriberId", "Nonce", "NewsletterId", "Wording", "SourceUrl", "IpAddress", "GivenAt", "ConfirmedAt")
            SELECT o.consent, x."Id", o.subscriber, o.nonce, o.newsletter, o.wording, o.source, o.ip, o.now, CASE WHEN o.pending THEN NULL ELSE o.now END
            FROM opt_in o JOIN subscription x ON x."SubscriberId" = o.subscriber AND x."NewsletterId" = o.newsletter),
        mail AS (
            INSERT INTO "OutboundEmails" ("Kind", "ToAddress", "SubscriberId", "Subject", "HtmlBody", "TextBody", "TemplateValues", "MessageId", "Status", "Attempts", "NextAttemptAt", "CreatedAt", "ClaimedUntil")
            SELECT m.kind, m.address, st.subscriber, m.subject, m.html, m.text, m.template_values, m.message_id, 'Queued', 0, coalesce(m.claimed_until, st.now), st.now, m.claimed_until
            FROM unnest($13::bigint[], $14::text[], $15::text[], $16::text[], $17::text[], $18::text[], $19::text[], $20::timestamptz[], $21::text[])
                AS m(n, kind, address, subject, html, text, message_id, claimed_until, template_values)
            JOIN stored st ON st.n = m.n
            RETURNING "Id", "MessageId")
        SELECT ARRAY(SELECT n FROM stored), ARRAY(SELECT subscriber FROM stored), ARRAY(SELECT "Id" FROM mail), ARRAY(SELECT "MessageId" FROM mail)
        """;

    /// <summary>The sign-ups in one statement on PostgreSQL, through the context's pooled connection.</summary>
    public static async Task<IReadOnlyList<bool>> InsertOnPostgresAsync(BroadsheetDb db, IReadOnlyList<NewSignup> signups, CancellationToken ct)
    {
        await db.Database.OpenConnectionAsync(ct);
        try
        {
            // One statement: it commits or rolls back as one unit without an explicit transaction.
            await using var command = new NpgsqlCommand(PostgresInsert, (NpgsqlConnection)db.Database.GetDbConnection());
            AddParameters(command.Parameters, signups);
            // Prepared once per pooled connection (Npgsql keeps it across pool returns): PostgreSQL then skips parsing
            // and planning the six CTEs on every batch.
            await command.PrepareAsync(ct);
            await using var reader = await command.ExecuteReaderAsync(ct);
            await reader.ReadAsync(ct);
            var ordinals = reader.GetFieldValue<long[]>(0);
            var subscriberIds = reader.GetFieldValue<long[]>(1);
            var mailIds = reader.GetFieldValue<long[]>(2);
            var messageIds = reader.GetFieldValue<string[]>(3);
            var stored = new bool[signups.Count];
            for (var k = 0; k < ordinals.Length; k++)
            {
                var i = (int)ordinals[k] - 1;
                stored[i] = true;
                foreach (var m in signups[i].Mail)
                {
                    m.Id = mailIds[Array.IndexOf(messageIds, m.MessageId)];
                    m.SubscriberId = subscriberIds[k];
                }
            }
            return stored;
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    private static void AddParameters(NpgsqlParameterCollection p, IReadOnlyList<NewSignup> signups)
    {
        var optIns = signups.SelectMany((s, i) => s.OptIns.Select(o => (N: i + 1L, o))).ToList();
        var mail = signups.SelectMany((s, i) => s.Mail.Select(m => (N: i + 1L, m))).ToList();
        p.Add(Texts(signups, s => s.Email));
        p.Add(Texts(signups, s => s.Key));
        p.Add(Texts(signups, s => s.AddressHash));
        p.Add(Texts(signups, s => s.Source));
        p.Add(Texts(signups, s => s.SourceSection));
        p.Add(new NpgsqlParameter<DateTime[]> { TypedValue = [.. signups.Select(s => s.Now)], NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz });
        p.Add(Texts(signups, s => s.Wording));
        p.Add(Texts(signups, s => s.IpAddress));
        p.Add(new NpgsqlParameter<long[]> { TypedValue = [.. optIns.Select(x => x.N)] });
        p.Add(new NpgsqlParameter<int[]> { TypedValue = [.. optIns.Select(x => x.o.NewsletterId)] });
        p.Add(new NpgsqlParameter<bool[]> { TypedValue = [.. optIns.Select(x => x.o.Pending)] });
        p.Add(Texts(optIns, x => x.o.Nonce));
        p.Add(new NpgsqlParameter<long[]> { TypedValue = [.. mail.Select(x => x.N)] });
        p.Add(Texts(mail, x => x.m.Kind));
        p.Add(Texts(mail, x => x.m.ToAddress));
        p.Add(Texts(mail, x => x.m.Subject));
        p.Add(Texts(mail, x => x.m.HtmlBody));
        p.Add(Texts(mail, x => x.m.TextBody));
        p.Add(Texts(mail, x => x.m.MessageId));
        p.Add(new NpgsqlParameter<DateTime?[]> { TypedValue = [.. mail.Select(x => x.m.ClaimedUntil)], NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz });
        p.Add(Texts(mail, x => x.m.TemplateValues));
    }

    private static NpgsqlParameter<string?[]> Texts<T>(IEnumerable<T> items, Func<T, string?> value) =>
        new() { TypedValue = [.. items.Select(value)], NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text };

    /// <summary>
    /// The statements of a new-address sign-up on SQLite, on a connection of their own that stays open with them prepared
    /// (see <see cref="NewSignupWriter"/>); one transaction per call.
    /// </summary>
    public sealed class SqliteSignupCommands : IDisposable
    {
        private readonly SqliteConnection _connection;
        private readonly SqliteCommand _subscriber, _subscription, _consent, _mail;

        public SqliteSignupCommands(string connectionString)
        {
            _connection = new SqliteConnection(connectionString);
            _connection.Open();
            SqliteBusyTimeout.Apply(_connection);
            // "WHERE NOT EXISTS" also tells SQLite's parser that ON CONFLICT belongs to the INSERT, not to a join.
            _subscriber = Command("""
                INSERT INTO "Subscribers" ("Email", "NormalizedEmail", "Attributes", "Status", "Source", "SourceSection", "CreatedAt")
                SELECT $email, $key, '{}', 'Active', $source, $section, $now
                WHERE NOT EXISTS (SELECT 1 FROM "Suppressions" WHERE "AddressHash" = $hash)
                ON CONFLICT DO NOTHING
                RETURNING "Id"
                """, "$email", "$key", "$source", "$section", "$now", "$hash");
            _subscription = Command("""
                INSERT INTO "Subscriptions" ("SubscriberId", "NewsletterId", "Status", "CreatedAt", "ConfirmedAt", "ConfirmationSentAt")
                VALUES ($subscriber, $newsletter, $status, $now, $confirmed, $sent)
                RETURNING "Id"
                """, "$subscriber", "$newsletter", "$status", "$now", "$confirmed", "$sent");
            _consent = Command("""
                INSERT INTO "Consents" ("SubscriptionId", "SubscriberId", "Nonce", "NewsletterId", "Wording", "SourceUrl", "IpAddress", "GivenAt", "ConfirmedAt")
                VALUES ($subscription, $subscriber, $nonce, $newsletter, $wording, $source, $ip, $now, $confirmed);
                UPDATE "Subscriptions" SET "CurrentConsentId" = last_insert_rowid() WHERE "Id" = $subscription
                """, "$subscription", "$subscriber", "$nonce", "$newsletter", "$wording", "$source", "$ip", "$now", "$confirmed");
            _mail = Command("""
                INSERT INTO "OutboundEmails" ("Kind", "ToAddress", "SubscriberId", "Subject", "HtmlBody", "TextBody", "TemplateValues", "MessageId", "Status", "Attempts", "NextAttemptAt", "CreatedAt", "ClaimedUntil")
                VALUES ($kind, $to, $subscriber, $subject, $html, $text, $values, $messageId, 'Queued', 0, $next, $now, $claimedUntil)
                RETURNING "Id"
                """, "$kind", "$to", "$subscriber", "$subject", "$html", "$text", "$messageId", "$now", "$next", "$claimedUntil", "$values");
        }

        /// <summary>Writes the sign-ups in one transaction, each result in order; any failure rolls back all of them.</summary>
        public IReadOnlyList<bool> Write(IReadOnlyList<NewSignup> signups)
        {
            using var tx = _connection.BeginTransaction();
            _subscriber.Transaction = _subscription.Transaction = _consent.Transaction = _mail.Transaction = tx;
            var stored = new bool[signups.Count];
            for (var i = 0; i < signups.Count; i++) stored[i] = Write(signups[i]);
            tx.Commit();
            return stored;
        }

        private bool Write(NewSignup s)
        {
            if (Run(_subscriber, s.Email, s.Key, s.Source, s.SourceSection, s.Now, s.AddressHash).ExecuteScalar() is not long subscriberId)
                return false;
            foreach (var o in s.OptIns)
            {
                DateTime? confirmed = o.Pending ? null : s.Now;
                var subscriptionId = (long)Run(_subscription, subscriberId, o.NewsletterId, o.Pending ? "Pending" : "Active", s.Now, confirmed,
                    o.Pending ? s.Now : null).ExecuteScalar()!;
                Run(_consent, subscriptionId, subscriberId, o.Nonce, o.NewsletterId, s.Wording, s.Source, s.IpAddress, s.Now, confirmed).ExecuteNonQuery();
            }
            foreach (var m in s.Mail)
            {
                m.Id = (long)Run(_mail, m.Kind, m.ToAddress, subscriberId, m.Subject, m.HtmlBody, m.TextBody, m.MessageId, s.Now,
                    m.ClaimedUntil ?? s.Now, m.ClaimedUntil, m.TemplateValues).ExecuteScalar()!;
                m.SubscriberId = subscriberId;
            }
            return true;
        }

        public void Dispose()
        {
            _subscriber.Dispose();
            _subscription.Dispose();
            _consent.Dispose();
            _mail.Dispose();
            _connection.Dispose();
        }

        private SqliteCommand Command(string sql, params string[] names)
        {
            var command = new SqliteCommand(sql, _connection);
            foreach (var name in names) command.Parameters.Add(new SqliteParameter { ParameterName = name });
            return command;
        }

        /// <summary>The command with its parameters set, in the order they were named.</summary>
        private static SqliteCommand Run(SqliteCommand command, params object?[] values)
        {
            for (var i = 0; i < values.Length; i++) command.Parameters[i].Value = values[i] ?? DBNull.Value;
            return command;
        }
    }
}
