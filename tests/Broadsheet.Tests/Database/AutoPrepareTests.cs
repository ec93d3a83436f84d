using Broadsheet.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Broadsheet.Tests.Database;

/// <summary>On PostgreSQL a statement the app runs again and again is prepared on its connection after a few runs.</summary>
[Collection(PostgresCollection.Name)]
public sealed class AutoPrepareTests(PostgresApp app)
{
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
