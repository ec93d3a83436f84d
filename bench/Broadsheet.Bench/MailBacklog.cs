using Microsoft.Data.Sqlite;
using Npgsql;

namespace Broadsheet.Bench;

/// <summary>
/// The app's transactional mail not yet sent, read straight from its queue table: a sign-up rate is only the app's
/// if the confirmations kept up with it, so bench/run reads this at the end of each sign-up window.
/// </summary>
public static class MailBacklog
{
    // Hand-written: the bench has no EF model of the app. "Status" is stored as the enum's name on both databases.
    private const string Query = """SELECT count(*) FILTER (WHERE "Status" = 'Queued'), count(*) FROM "OutboundEmails" """;

    public static async Task<(long Queued, long All)> PostgresAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(Query, connection);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (reader.GetInt64(0), reader.GetInt64(1));
    }

    public static async Task<(long Queued, long All)> SqliteAsync(string file)
    {
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = file, Mode = SqliteOpenMode.ReadOnly }.ConnectionString);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = Query;
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (reader.GetInt64(0), reader.GetInt64(1));
    }
}
