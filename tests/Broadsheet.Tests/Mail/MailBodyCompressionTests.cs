using Broadsheet.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Broadsheet.Tests.Mail;

/// <summary>On PostgreSQL the queued mail bodies are compressed with lz4 where the server offers it, and left alone where not.</summary>
[Collection(PostgresCollection.Name)]
public sealed class MailBodyCompressionTests(PostgresApp app)
{
    [Fact]
    public async Task Both_bodies_use_lz4_when_the_server_has_it()
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
}
