using System.Data.Common;
using Broadsheet.Data;
using Broadsheet.Signup;
using Broadsheet.Subscribers;
using Broadsheet.Tests.Infrastructure;
using Broadsheet.Tests.Signup;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace Broadsheet.Tests.Subscribers;

/// <summary>
/// Mail about a subscriber names them, whichever way the sign-up was written, so their page, export and erasure find
/// it through an index instead of reading the whole mail table (millions of rows on a large list).
/// </summary>
public abstract class SubscriberMailTests(AppFixture app)
{
    [Fact]
    public async Task Confirmations_name_their_subscriber_on_the_new_address_path_and_on_the_general_one()
    {
        var email = TestData.NewEmail("tagged");
        using var client = app.Server.CreateClient();
        Assert.Equal("success", await SignupHttp.SignUpAsync(client, email)); // a new address: SignupSql
        using (var response = await SignupHttp.PostApiAsync(client, new { email, newsletters = new[] { TestData.Second } }))
            response.EnsureSuccessStatusCode(); // a known address: the general path through EF Core

        var records = await AddressRecords.LoadAsync(app.Server, email);
        var subscriber = Assert.Single(records.Subscribers);
        Assert.Equal(2, records.Mail.Count);
        Assert.All(records.Mail, m => Assert.Equal(subscriber.Id, m.SubscriberId));

        var found = await app.Server.QueryAsync(db => SubscriberMail.Of(db, subscriber.Id, subscriber.Email).Select(m => m.Id).ToListAsync());
        Assert.Equal(records.Mail.Select(m => m.Id).Order(), found.Order());
    }

    [Fact]
    public async Task A_subscribers_mail_is_read_through_indexes_not_by_scanning_the_table()
    {
        var plan = await app.Server.QueryAsync(db => PlanAsync(db, SubscriberMail.Of(db, 42, "reader@example.com")));

        Assert.DoesNotContain("Seq Scan on \"OutboundEmails\"", plan); // PostgreSQL
        Assert.DoesNotContain("SCAN OutboundEmails", plan); // SQLite
        Assert.Contains("IX_OutboundEmails_SubscriberId", plan);
        Assert.Contains("IX_OutboundEmails_ToAddress", plan);
    }

    /// <summary>
    /// The database's plan for the query as EF Core sends it, parameters included. PostgreSQL is told to avoid
    /// sequential scans (it would rightly prefer one on a test-sized table) for this transaction only, so a scan in the
    /// plan means that no index can answer the query.
    /// </summary>
    private static async Task<string> PlanAsync<T>(BroadsheetDb db, IQueryable<T> query)
    {
        await using var tx = await db.Database.BeginTransactionAsync();
        if (db.OnPostgres) await db.Database.ExecuteSqlRawAsync("SET LOCAL enable_seqscan = off");
        await using var command = query.CreateDbCommand();
        command.Transaction = tx.GetDbTransaction();
        command.CommandText = (db.OnPostgres ? "EXPLAIN " : "EXPLAIN QUERY PLAN ") + command.CommandText;
        var lines = new List<string>();
        await using (DbDataReader reader = await command.ExecuteReaderAsync())
            while (await reader.ReadAsync())
                lines.Add(db.OnPostgres ? reader.GetString(0) : reader.GetString(reader.GetOrdinal("detail")));
        await tx.RollbackAsync();
        return string.Join("\n", lines);
    }
}

[Collection(SqliteCollection.Name)]
public sealed class SubscriberMailTestsOnSqlite(SqliteApp app) : SubscriberMailTests(app);

[Collection(PostgresCollection.Name)]
public sealed class SubscriberMailTestsOnPostgres(PostgresApp app) : SubscriberMailTests(app);
