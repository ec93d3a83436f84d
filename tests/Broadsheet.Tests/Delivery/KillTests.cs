using System.Diagnostics;
using System.Net;
using Broadsheet.Data;
using Broadsheet.Delivery;
using Broadsheet.Editions;
using Broadsheet.Tests.Infrastructure;
using Broadsheet.Tests.Subscribers;
using Microsoft.EntityFrameworkCore;

namespace Broadsheet.Tests.Delivery;

/// <summary>
/// The app as a real process, killed in the middle of a send and started again: everyone gets the edition, and only
/// what was claimed at the moment of the kill (at most claim size × connections) may arrive twice.
/// </summary>
public abstract class KillTests(DatabaseKind kind)
{
    private const int Readers = 60, ClaimSize = 5, Connections = 2;

    [Fact]
    public async Task A_send_killed_midway_finishes_after_a_restart_with_at_most_the_claimed_messages_twice()
    {
        await using var relay = new SmtpSink();
        var dataPath = Directory.CreateTempSubdirectory("broadsheet-kill-").FullName;
        string connection;
        List<Broadsheet.Subscribers.Subscriber> readers;
        long editionId;
        await using (var setup = await BroadsheetServer.StartAsync(kind, null, dataPath: dataPath))
        {
            connection = setup.ConnectionString;
            var newsletter = await Sends.NewsletterAsync(setup, Audience.NewTag());
            readers = await Sends.SubscribersAsync(setup, newsletter, "reader", Readers);
            editionId = (await Sends.EditionAsync(setup, newsletter)).Id;
        }

        var settings = new Dictionary<string, string>
        {
            ["environment"] = "Test",
            ["DataPath"] = dataPath,
            ["Database:Provider"] = kind == DatabaseKind.Sqlite ? "sqlite" : "postgres",
            ["ConnectionStrings:Default"] = connection,
            ["Admin:Token"] = BroadsheetServer.AdminToken,
            ["Mail:Transport"] = "smtp",
            ["Mail:Smtp:Host"] = "127.0.0.1",
            ["Mail:Smtp:Port"] = relay.Port.ToString(),
            ["Mail:Smtp:Timeout"] = "00:00:02",
            ["Delivery:MaxPerSecond"] = "20", // three seconds for the whole send
            ["Delivery:ClaimSize"] = ClaimSize.ToString(),
            ["Delivery:Connections"] = Connections.ToString(),
            ["Delivery:ClaimTimeout"] = "00:00:05",
            ["Delivery:PollInterval"] = "00:00:00.200",
            ["Logging:LogLevel:Default"] = "Warning",
        };

        int beforeKill;
        using (var first = await AppProcess.StartAsync(settings))
        {
            using var api = first.CreateClient(BroadsheetServer.AdminToken);
            Assert.Equal(HttpStatusCode.Accepted, (await api.PostAsync($"/api/editions/{editionId}/send", null)).StatusCode);
            var clock = Stopwatch.StartNew();
            while (relay.Messages.Count < Readers / 4)
            {
                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"Only {relay.Messages.Count} messages arrived:\n{first.Output}");
                await Task.Delay(20);
            }
            first.Kill();
            beforeKill = relay.Messages.Count;
        }
        Assert.InRange(beforeKill, Readers / 4, Readers - 1);

        using (var second = await AppProcess.StartAsync(settings))
        {
            var clock = Stopwatch.StartNew();
            while (await StatusAsync(connection, editionId) != EditionStatus.Sent)
            {
                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"The send did not finish after the restart:\n{second.Output}");
                await Task.Delay(200);
            }
        }

        var received = Sends.Received(relay.Messages, readers);
        Assert.All(received, r => Assert.InRange(r.Value, 1, 2));
        Assert.InRange(received.Values.Sum(v => v - 1), 0, ClaimSize * Connections);
    }

    private async Task<EditionStatus> StatusAsync(string connection, long editionId)
    {
        await using BroadsheetDb db = kind == DatabaseKind.Sqlite
            ? new SqliteBroadsheetDb(new DbContextOptionsBuilder<SqliteBroadsheetDb>().UseSqlite(connection).Options)
            : new PostgresBroadsheetDb(new DbContextOptionsBuilder<PostgresBroadsheetDb>().UseNpgsql(connection).Options);
        var edition = await db.Editions.AsNoTracking().SingleAsync(e => e.Id == editionId);
        if (edition.Status == EditionStatus.Sent)
            Assert.All(await db.Deliveries.Where(d => d.EditionId == editionId).ToListAsync(), d => Assert.Equal(DeliveryStatus.Sent, d.Status));
        return edition.Status;
    }
}

public sealed class KillTestsOnSqlite() : KillTests(DatabaseKind.Sqlite);

public sealed class KillTestsOnPostgres() : KillTests(DatabaseKind.Postgres);
