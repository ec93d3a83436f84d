using Broadsheet.Mail;
using Broadsheet.Tests.Infrastructure;
using Broadsheet.Tests.Signup;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Broadsheet.Tests.Mail;

/// <summary>
/// A sign-up's confirmation goes into the queue already claimed by this node and reaches the worker in memory; the
/// row stays the durable copy, and a clean stop gives back the claims of whatever was not sent.
/// </summary>
public abstract class MailHandoffTests(DatabaseKind kind)
{
    [Fact]
    public async Task Handed_mail_is_stored_claimed_by_this_node_and_a_clean_stop_gives_the_unsent_back()
    {
        // One sender, so that the three later confirmations wait while the first is held at the relay.
        await using var app = await ExtraApp.StartAsync(kind, new Dictionary<string, string?> { ["Mail:Smtp:Timeout"] = "00:00:30", ["Mail:Senders"] = "1" });
        using var relayHolds = new ManualResetEventSlim();
        using var atRelay = new SemaphoreSlim(0);
        app.Smtp!.Reply = _ =>
        {
            atRelay.Release();
            relayHolds.Wait(TimeSpan.FromSeconds(20)); // the worker waits for this reply, mid-send
            return null;
        };
        try
        {
            var emails = Enumerable.Range(0, 4).Select(_ => TestData.NewEmail("handed")).ToList();
            using var client = app.Server.CreateClient();
            Assert.Equal("success", await SignupHttp.SignUpAsync(client, emails[0]));
            Assert.True(await atRelay.WaitAsync(TimeSpan.FromSeconds(10)), "The first confirmation never reached the relay.");
            foreach (var email in emails.Skip(1)) Assert.Equal("success", await SignupHttp.SignUpAsync(client, email));

            var waiting = await MailToAsync(app.Server, emails.Skip(1));
            Assert.Equal(3, waiting.Count);
            Assert.All(waiting, m =>
            {
                Assert.Equal(OutboundEmailStatus.Queued, m.Status);
                Assert.Null(m.ClaimToken); // held in memory: no worker batch reads it back by a token
                Assert.InRange(m.ClaimedUntil!.Value, DateTime.UtcNow.AddMinutes(4), DateTime.UtcNow.AddMinutes(6));
                Assert.Equal(m.ClaimedUntil, m.NextAttemptAt); // not due for the poll before the claim runs out
                // Stored as the template's values, not as bodies: sent from memory here, rendered again if read back.
                Assert.Equal(("", ""), (m.HtmlBody, m.TextBody));
                Assert.Contains("\"confirm_url\":", m.TemplateValues);
            });

            await app.Server.App.StopAsync();
            var after = await MailToAsync(app.Server, emails);
            Assert.Equal(4, after.Count);
            Assert.All(after, m =>
            {
                Assert.Equal(OutboundEmailStatus.Queued, m.Status);
                Assert.Null(m.ClaimedUntil);
                Assert.Null(m.ClaimToken);
                Assert.True(m.NextAttemptAt <= DateTime.UtcNow, "Handed-back mail should be due at once.");
            });
        }
        finally
        {
            relayHolds.Set();
        }
    }

    [Fact]
    public async Task A_backlog_queued_in_the_database_is_sent_in_one_go_not_a_batch_per_poll()
    {
        // Polls an hour apart: only the worker's own carrying on can send more than the first batch in time.
        await using var app = await ExtraApp.StartAsync(kind, new Dictionary<string, string?> { ["Mail:PollInterval"] = "01:00:00" });
        var addresses = Enumerable.Range(0, 157).Select(_ => TestData.NewEmail("backlog")).ToList();
        await using (var scope = app.Server.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<Broadsheet.Data.BroadsheetDb>();
            var queue = scope.ServiceProvider.GetRequiredService<MailQueue>();
            var values = new Dictionary<string, string> { ["confirm_url"] = "https://news.example/confirm", ["site_name"] = "Test" };
            foreach (var address in addresses) queue.Add(db, "confirm", address, values);
            await db.SaveChangesAsync();
            queue.Wake();
        }

        // A batch is marked sent after the relay has taken all of it, so the rows may lag the relay by a moment.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        List<OutboundEmail> records;
        do
        {
            await Task.Delay(100);
            records = await MailToAsync(app.Server, addresses);
        }
        while (DateTime.UtcNow < deadline && (addresses.Any(a => !app.Smtp!.To(a).Any()) || records.Any(m => m.Status != OutboundEmailStatus.Sent)));
        Assert.Equal(addresses.Count, addresses.Count(a => app.Smtp!.To(a).Any()));
        Assert.Equal(addresses.Count, records.Count);
        Assert.All(records, m => Assert.Equal(OutboundEmailStatus.Sent, m.Status));
    }

    private static Task<List<OutboundEmail>> MailToAsync(BroadsheetServer server, IEnumerable<string> addresses)
    {
        var list = addresses.ToList();
        return server.QueryAsync(db => db.OutboundEmails.AsNoTracking().Where(m => list.Contains(m.ToAddress)).ToListAsync());
    }
}

public sealed class MailHandoffTestsOnSqlite() : MailHandoffTests(DatabaseKind.Sqlite);

public sealed class MailHandoffTestsOnPostgres() : MailHandoffTests(DatabaseKind.Postgres);
