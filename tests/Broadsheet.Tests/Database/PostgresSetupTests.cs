using Broadsheet.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Broadsheet.Tests.Database;

/// <summary>
/// What the app sets up on PostgreSQL beyond the model: lz4 for the queued mail bodies where the server offers it, and
/// statements it runs again and again prepared on their connection.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresSetupTests(PostgresApp app)
{
    [Fact]
    public async Task Both_mail_bodies_use_lz4_when_the_server_has_it()
    {
        var (offered, methods) = await app.Server.QueryAsync(async db =>
        {
            var offered = await db.Database.SqlQueryRaw<bool>(
                "SELECT 'lz4' = ANY (enumvals) AS \"Value\" FROM pg_settings WHERE name = 'default_toast_compression'").SingleAsync();
            var methods = await db.Database.SqlQueryRaw<string>(
                "SELECT attcompression::text AS \"Value\" FROM pg_attribute WHERE attrelid = '\"OutboundEmails\"'::regclass " +
                "AND attname IN ('HtmlBody', 'TextBody')").ToListAsync();
            return (offered, methods);
        });
        Assert.Equal(2, methods.Count);
        Assert.All(methods, m => Assert.Equal(offered ? "l" : "", m));
    }

    [Fact]
    public async Task A_repeated_query_becomes_a_prepared_statement()
    {
        var marker = "auto-prepare-" + Guid.NewGuid().ToString("N");
        var prepared = await app.Server.QueryAsync(async db =>
        {
            await db.Database.OpenConnectionAsync(); // one connection throughout: prepared statements belong to it
            for (var i = 0; i < 10; i++) await db.Newsletters.Where(n => n.Slug == marker).CountAsync();
            return await db.Database.SqlQueryRaw<int>(
                "SELECT count(*)::int AS \"Value\" FROM pg_prepared_statements WHERE statement LIKE '%\"Newsletters\"%' AND statement LIKE '%\"Slug\"%'").SingleAsync();
        });
        Assert.True(prepared >= 1, "The repeated query was not prepared.");
    }
}
