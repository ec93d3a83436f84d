using Broadsheet.Mail;
using Broadsheet.Tests.Infrastructure;
using Broadsheet.Tests.Signup;
using Microsoft.EntityFrameworkCore;

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
        await using var app = await ExtraApp.StartAsync(kind, new Dictionary<string, string?> { ["Mail:Smtp:Timeout"] = "00:00:30" });
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

    private static Task<List<OutboundEmail>> MailToAsync(BroadsheetServer server, IEnumerable<string> addresses)
    {
        var list = addresses.ToList();
        return server.QueryAsync(db => db.OutboundEmails.AsNoTracking().Where(m => list.Contains(m.ToAddress)).ToListAsync());
    }
}

public sealed class MailHandoffTestsOnSqlite() : MailHandoffTests(DatabaseKind.Sqlite);

public sealed class MailHandoffTestsOnPostgres() : MailHandoffTests(DatabaseKind.Postgres);
