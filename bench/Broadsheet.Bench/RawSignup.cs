using System.Buffers.Text;
using Microsoft.Data.Sqlite;
using Npgsql;
using NpgsqlTypes;

namespace Broadsheet.Bench;

/// <summary>
/// The floor for a sign-up: the least the issue's rules allow, the four rows of a new sign-up (subscriber,
/// subscription, consent record, queued confirmation email) in one transaction, with no app, into copies of the app's
/// tables made from its schema at run time (same columns, indexes and foreign keys), over one connection per client.
/// </summary>
/// <remarks>
/// The copies keep the rows away from the app (its mail worker would send them) and stay true when the model changes.
/// Reads the app makes on the way (the suppression list, an address already known) and the subscription's link to
/// its current consent are the app's design, not the rules, so the floor leaves them out.
/// </remarks>
public static class RawSignup
{
    private static readonly (string App, string Copy)[] Tables =
    [
        ("Subscribers", "floor_subscribers"), ("Subscriptions", "floor_subscriptions"),
        ("Consents", "floor_consents"), ("OutboundEmails", "floor_outbound_emails"),
    ];

    // One round trip and one commit per sign-up, as the app's SignupSql does it for a new address.
    private const string PostgresInsert = """
        WITH subscriber AS (
            INSERT INTO floor_subscribers ("Email", "NormalizedEmail", "Attributes", "Status", "Source", "CreatedAt")
            VALUES ($1, $1, '{}', 'Active', $2, $3)
            RETURNING "Id"),
        subscription AS (
            INSERT INTO floor_subscriptions ("SubscriberId", "NewsletterId", "Status", "CreatedAt", "ConfirmationSentAt")
            SELECT "Id", $4, 'Pending', $3, $3 FROM subscriber
            RETURNING "Id", "SubscriberId"),
        consent AS (
            INSERT INTO floor_consents ("SubscriptionId", "SubscriberId", "Nonce", "NewsletterId", "Wording", "SourceUrl", "IpAddress", "GivenAt")
            SELECT "Id", "SubscriberId", $5, $4, $6, $2, $7, $3 FROM subscription)
        INSERT INTO floor_outbound_emails ("Kind", "ToAddress", "SubscriberId", "Subject", "HtmlBody", "TextBody", "MessageId", "Status", "Attempts", "NextAttemptAt", "CreatedAt", "ClaimedUntil")
        SELECT 'confirm', $1, "SubscriberId", $8, $9, $10, $11, 'Queued', 0, $12, $3, $12 FROM subscription
        """;

    private static readonly NpgsqlDbType[] PostgresTypes =
    [
        NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.TimestampTz, NpgsqlDbType.Integer, NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Text,
        NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.TimestampTz,
    ];

    private static string DropCopies => $"DROP TABLE IF EXISTS {string.Join(", ", Tables.Select(t => t.Copy))}";

    public static async Task<LoadResult> PostgresAsync(string connectionString, string newsletter, int clients, TimeSpan warmUp, TimeSpan measure)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { MaxPoolSize = Math.Max(clients + 2, 10) };
        await using var source = NpgsqlDataSource.Create(builder.ConnectionString);
        int newsletterId;
        await using (var setup = await source.OpenConnectionAsync())
        {
            await ExecuteAsync(setup, DropCopies);
            foreach (var (app, copy) in Tables)
            {
                // LIKE takes columns, defaults, identity, checks and indexes, but not storage options or foreign keys.
                await ExecuteAsync(setup, $"""CREATE TABLE {copy} (LIKE "{app}" INCLUDING ALL)""");
                var options = await ScalarAsync(setup, $"""SELECT array_to_string(reloptions, ', ') FROM pg_class WHERE oid = '"{app}"'::regclass""");
                if (options is string { Length: > 0 } o) await ExecuteAsync(setup, $"ALTER TABLE {copy} SET ({o})");
            }
            // The app's foreign keys, pointed at the copies where they point at one of the four tables (Newsletters stays).
            var keys = new List<(string Child, string Parent, string Definition)>();
            await using (var query = new NpgsqlCommand("""
                SELECT conrelid::regclass::text, confrelid::regclass::text, pg_get_constraintdef(oid)
                FROM pg_constraint WHERE contype = 'f' AND conrelid = ANY($1::regclass[])
                """, setup))
            {
                query.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. Tables.Select(t => $"\"{t.App}\"")] });
                await using var reader = await query.ExecuteReaderAsync();
                while (await reader.ReadAsync()) keys.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2)));
            }
            foreach (var (child, parent, definition) in keys)
                await ExecuteAsync(setup, $"ALTER TABLE {CopyOf(child)} ADD {definition.Replace($"REFERENCES {parent}(", $"REFERENCES {CopyOf(parent)}(")}");
            newsletterId = await NewsletterIdAsync(setup, "\"Newsletters\"", newsletter);
            Console.Error.WriteLine($"signup-floor-postgres: copies of {string.Join(", ", Tables.Select(t => t.App))} with " +
                                    $"{await ScalarAsync(setup, "SELECT count(*) FROM pg_indexes WHERE tablename LIKE 'floor\\_%'")} indexes and {keys.Count} foreign keys");
        }

        var commands = new NpgsqlCommand[clients];
        try
        {
            for (var i = 0; i < clients; i++)
            {
                var command = commands[i] = new NpgsqlCommand(PostgresInsert, await source.OpenConnectionAsync());
                foreach (var type in PostgresTypes) command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = type });
                await command.PrepareAsync(); // as the app prepares its statement once per connection
            }
            return await LoadRun.RunAsync("signup-floor-postgres", clients, warmUp, measure, async (client, seq) =>
            {
                var s = new FloorSignup(client, seq);
                var p = commands[client].Parameters;
                object[] values = [s.Email, s.Source, s.Now, newsletterId, s.Nonce, s.Wording, s.Ip, s.Subject, s.Html, s.Text, s.MessageId, s.Now.AddMinutes(5)];
                for (var i = 0; i < values.Length; i++) p[i].Value = values[i];
                await commands[client].ExecuteNonQueryAsync();
                return null;
            });
        }
        finally
        {
            foreach (var c in commands)
            {
                if (c?.Connection is { } connection) await connection.DisposeAsync();
                c?.Dispose();
            }
            await using var cleanup = await source.OpenConnectionAsync();
            await ExecuteAsync(cleanup, DropCopies);
        }
    }

    /// <summary>
    /// On SQLite the copies live in <paramref name="file"/>, a file of their own beside the app's, made from the
    /// <c>CREATE</c> statements in <paramref name="appFile"/> (with Newsletters and its rows, the foreign keys' parent).
    /// </summary>
    public static async Task<LoadResult> SqliteAsync(string appFile, string file, string newsletter, int clients, TimeSpan warmUp, TimeSpan measure)
    {
        foreach (var f in new[] { file, file + "-wal", file + "-shm" }) File.Delete(f);
        // The app's connection string is just the file: default synchronous (FULL), WAL set on the file, as here.
        var connectionString = new SqliteConnectionStringBuilder { DataSource = file }.ConnectionString;
        (string App, string Copy)[] copied = [("Newsletters", "floor_newsletters"), .. Tables];
        int newsletterId;
        await using (var setup = new SqliteConnection(connectionString))
        {
            await setup.OpenAsync();
            await ExecuteAsync(setup, "PRAGMA journal_mode=WAL");
            await using (var attach = new SqliteCommand("ATTACH DATABASE $app AS app", setup))
            {
                attach.Parameters.AddWithValue("$app", appFile);
                await attach.ExecuteNonQueryAsync();
            }
            var statements = new List<string>();
            await using (var schema = new SqliteCommand(
                $"SELECT sql FROM app.sqlite_master WHERE tbl_name IN ({string.Join(", ", copied.Select(t => $"'{t.App}'"))}) AND sql IS NOT NULL ORDER BY type = 'index'", setup))
            await using (var reader = await schema.ExecuteReaderAsync())
            {
                while (await reader.ReadAsync())
                    statements.Add(copied.Aggregate(reader.GetString(0), (sql, t) => sql.Replace($"\"{t.App}\"", $"\"{t.Copy}\"")));
            }
            if (statements.Count == 0) throw new InvalidOperationException($"no sign-up tables in {appFile}: start the app first");
            foreach (var sql in statements) await ExecuteAsync(setup, sql);
            await ExecuteAsync(setup, """INSERT INTO floor_newsletters SELECT * FROM app."Newsletters"; DETACH DATABASE app""");
            // e_sqlite3 is built with foreign keys on, so the app checks them; the floor must too.
            if (await ScalarAsync(setup, "PRAGMA foreign_keys") is not 1L) throw new InvalidOperationException("foreign keys are off");
            newsletterId = await NewsletterIdAsync(setup, "floor_newsletters", newsletter);
            Console.Error.WriteLine($"signup-floor-sqlite: {statements.Count} CREATE statements copied from {appFile}");
        }

        var clientsState = new SqliteFloorClient[clients];
        try
        {
            for (var i = 0; i < clients; i++) clientsState[i] = await SqliteFloorClient.OpenAsync(connectionString);
            return await LoadRun.RunAsync("signup-floor-sqlite", clients, warmUp, measure,
                (client, seq) => clientsState[client].InsertAsync(new FloorSignup(client, seq), newsletterId));
        }
        finally
        {
            foreach (var c in clientsState) if (c is not null) await c.DisposeAsync();
        }
    }

    /// <summary>One client's connection and its four prepared inserts, run in one transaction per sign-up.</summary>
    private sealed class SqliteFloorClient : IAsyncDisposable
    {
        private readonly SqliteConnection _connection;
        private readonly SqliteCommand _subscriber, _subscription, _consent, _mail;

        private SqliteFloorClient(SqliteConnection connection)
        {
            _connection = connection;
            _subscriber = Prepare("""
                INSERT INTO floor_subscribers ("Email", "NormalizedEmail", "Attributes", "Status", "Source", "CreatedAt")
                VALUES ($1, $1, '{}', 'Active', $2, $3)
                RETURNING "Id"
                """, 3);
            _subscription = Prepare("""
                INSERT INTO floor_subscriptions ("SubscriberId", "NewsletterId", "Status", "CreatedAt", "ConfirmationSentAt")
                VALUES ($1, $2, 'Pending', $3, $3)
                RETURNING "Id"
                """, 3);
            _consent = Prepare("""
                INSERT INTO floor_consents ("SubscriptionId", "SubscriberId", "Nonce", "NewsletterId", "Wording", "SourceUrl", "IpAddress", "GivenAt")
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                """, 8);
            _mail = Prepare("""
                INSERT INTO floor_outbound_emails ("Kind", "ToAddress", "SubscriberId", "Subject", "HtmlBody", "TextBody", "MessageId", "Status", "Attempts", "NextAttemptAt", "CreatedAt", "ClaimedUntil")
                VALUES ('confirm', $1, $8, $2, $3, $4, $5, 'Queued', 0, $6, $7, $6)
                """, 8);
        }

        private SqliteCommand Prepare(string sql, int parameters)
        {
            var command = new SqliteCommand(sql, _connection);
            for (var i = 1; i <= parameters; i++) command.Parameters.Add(new SqliteParameter { ParameterName = $"${i}" });
            command.Prepare();
            return command;
        }

        public static async Task<SqliteFloorClient> OpenAsync(string connectionString)
        {
            var connection = new SqliteConnection(connectionString);
            await connection.OpenAsync();
            // The app's setting: a writer that finds the write lock taken waits for it in SQLite instead of failing.
            await ExecuteAsync(connection, "PRAGMA busy_timeout = 5000");
            return new SqliteFloorClient(connection);
        }

        public async Task<string?> InsertAsync(FloorSignup s, int newsletterId)
        {
            // Microsoft.Data.Sqlite begins IMMEDIATE, as the app's EF Core transaction does: the write lock comes first.
            await using var tx = _connection.BeginTransaction();
            var subscriberId = await RunAsync(_subscriber, tx, s.Email, s.Source, s.Now);
            var subscriptionId = await RunAsync(_subscription, tx, subscriberId!, newsletterId, s.Now);
            await RunAsync(_consent, tx, subscriptionId!, subscriberId!, s.Nonce, newsletterId, s.Wording, s.Source, s.Ip, s.Now);
            await RunAsync(_mail, tx, s.Email, s.Subject, s.Html, s.Text, s.MessageId, s.Now.AddMinutes(5), s.Now, subscriberId!);
            await tx.CommitAsync();
            return null;
        }

        // The command keeps its compiled statement between runs (the text never changes); only the values are new.
        private static async Task<object?> RunAsync(SqliteCommand command, SqliteTransaction tx, params object[] values)
        {
            command.Transaction = tx;
            for (var i = 0; i < values.Length; i++) command.Parameters[i].Value = values[i];
            return await command.ExecuteScalarAsync();
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var c in new[] { _subscriber, _subscription, _consent, _mail }) await c.DisposeAsync();
            await _connection.DisposeAsync();
        }
    }

    /// <summary>
    /// The values of one sign-up, sized like the app's: a new address, a random consent nonce, and a confirmation of
    /// about 2.6 KB (HTML with inline styles and plain text) carrying two random link tokens, so it compresses as
    /// the app's mail does.
    /// </summary>
    private sealed class FloorSignup(int client, long seq)
    {
        public string Email { get; } = $"floor-{client}-{seq}@bench.example.com";
        public string Source => "https://news.bench.example/articles/why-the-harbour-tunnel-keeps-slipping";
        public string Wording => "Get The Morning Briefing by email every weekday. You can unsubscribe at any time.";
        public string Ip => "127.0.0.1";
        public string Subject => "Confirm your subscription to The Morning Briefing";
        public DateTime Now { get; } = DateTime.UtcNow;
        public string Nonce { get; } = Guid.CreateVersion7().ToString("N"); // as the app makes them (ConsentRecord.NewNonce)
        public string MessageId { get; } = $"{Token(9)}.{Token(9)}@localhost";
        public string Html => $"""
            <!DOCTYPE html><html lang="en"><head><meta charset="utf-8"></head>
            <body style="font-family: Georgia, 'Times New Roman', serif;color: #1a1a1a;background: #f4f1ea;margin: 0;padding: 24px">
            <div class="card" style="max-width: 560px;margin: 0 auto;background: #ffffff;padding: 32px;border-top: 4px solid #0b3d5c">
              <h1 style="font-size: 22px;margin: 0 0 16px">One more step</h1>
              <p style="font-size: 16px;line-height: 1.5">You asked to receive <strong>The Morning Briefing</strong> from The Broadsheet. Please confirm that this is your address.</p>
              <p style="font-size: 16px;line-height: 1.5"><a class="button" href="{_confirm}" style="display: inline-block;background: #0b3d5c;color: #ffffff;padding: 12px 24px;text-decoration: none;font-family: Arial, sans-serif;font-weight: bold">Confirm my subscription</a></p>
              <p class="small" style="line-height: 1.5;font-size: 13px;color: #666666">If the button does not work, open this link: <br>{_confirm}</p>
              <p class="small" style="line-height: 1.5;font-size: 13px;color: #666666">The link is valid for 48 hours. If you did not ask for this, ignore this email and nothing will happen.</p>
              <p class="small" style="line-height: 1.5;font-size: 13px;color: #666666"><a href="{_preferences}">Your subscriptions and data</a></p>
            </div>
            </body></html>
            """;
        public string Text => $"""
            One more step

            You asked to receive The Morning Briefing from The Broadsheet. Please confirm that this is your address by opening this link:

            {_confirm}

            The link is valid for 48 hours. If you did not ask for this, ignore this email and nothing will happen.

            Your subscriptions and data: {_preferences}
            """;

        private readonly string _confirm = "https://news.bench.example/confirm?token=" + Token(112);
        private readonly string _preferences = "https://news.bench.example/preferences?o=" + Token(64);

        private static string Token(int bytes)
        {
            Span<byte> random = stackalloc byte[bytes];
            Random.Shared.NextBytes(random);
            return Base64Url.EncodeToString(random);
        }
    }

    private static string CopyOf(string appTable) =>
        Tables.FirstOrDefault(t => $"\"{t.App}\"" == appTable).Copy ?? appTable;

    private static async Task<int> NewsletterIdAsync(System.Data.Common.DbConnection connection, string table, string slug)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = $"""SELECT "Id" FROM {table} WHERE "Slug" = @slug""";
        var p = command.CreateParameter();
        p.ParameterName = "@slug";
        p.Value = slug;
        command.Parameters.Add(p);
        return Convert.ToInt32(await command.ExecuteScalarAsync() ?? throw new InvalidOperationException($"no newsletter '{slug}'"));
    }

    private static async Task<object?> ScalarAsync(System.Data.Common.DbConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteScalarAsync();
    }

    private static Task ExecuteAsync(System.Data.Common.DbConnection connection, string sql) => ScalarAsync(connection, sql);
}
