using System.Net;
using Broadsheet.Admin;
using Broadsheet.Delivery;
using Broadsheet.Editions;
using Broadsheet.Tests.Admin;
using Broadsheet.Tests.Infrastructure;
using Broadsheet.Tests.Subscribers;
using Microsoft.EntityFrameworkCore;
using SmtpServer.Protocol;

namespace Broadsheet.Tests.Delivery;

/// <summary>The send actions over the API: who may use them, and which status allows which.</summary>
public abstract class SendApiTests(AppFixture app)
{
    private BroadsheetServer Server => app.Server;

    [Fact]
    public async Task Only_editors_may_act_and_unknown_editions_are_not_found()
    {
        var edition = await Sends.EditionAsync(Server, await Sends.NewsletterAsync(Server, Audience.NewTag()));
        using var viewer = Server.CreateClient();
        viewer.DefaultRequestHeaders.Authorization = new("Bearer", await ViewerTokenAsync());
        using var anonymous = Server.CreateClient();
        foreach (var action in new[] { "send", "pause", "resume", "cancel", "retry-failed" })
        {
            Assert.Equal(HttpStatusCode.Forbidden, (await Sends.ActAsync(Server, edition.Id, action, viewer)).Status);
            Assert.Equal(HttpStatusCode.Unauthorized, (await Sends.ActAsync(Server, edition.Id, action, anonymous)).Status);
            Assert.Equal(HttpStatusCode.NotFound, (await Sends.ActAsync(Server, long.MaxValue, action)).Status);
        }
        Assert.Equal(EditionStatus.Draft, (await Sends.ReadAsync(Server, edition.Id)).Status);
    }

    [Fact]
    public async Task A_send_is_paused_resumed_and_cancelled_and_a_wrong_transition_is_a_409()
    {
        var newsletter = await Sends.NewsletterAsync(Server, Audience.NewTag());
        var readers = await Sends.SubscribersAsync(Server, newsletter, "held", 2);
        var edition = await Sends.EditionAsync(Server, newsletter);

        var (status, problem) = await Sends.ActAsync(Server, edition.Id, "pause");
        Assert.Equal(HttpStatusCode.Conflict, status);
        Assert.Equal("The edition is draft, so it cannot be paused.", problem.GetProperty("detail").GetString());
        Assert.Equal(HttpStatusCode.Conflict, (await Sends.ActAsync(Server, edition.Id, "resume")).Status);

        var held = readers.Select(r => r.Email).ToHashSet();
        var holding = true;
        app.Smtp.Reply = to => holding && held.Contains(to) ? new SmtpResponse((SmtpReplyCode)452, "mailbox full for now") : null;
        try
        {
            Assert.Equal(HttpStatusCode.Accepted, (await Sends.ActAsync(Server, edition.Id, "send")).Status);
            Assert.Equal(HttpStatusCode.Conflict, (await Sends.ActAsync(Server, edition.Id, "send")).Status);
            await Sends.WaitForRecordAsync(Server, edition.Id, readers[0].Id, r => r.Attempts >= 1);

            var (paused, body) = await Sends.ActAsync(Server, edition.Id, "pause");
            Assert.Equal(HttpStatusCode.OK, paused);
            Assert.Equal("paused", body.GetProperty("status").GetString());
            Assert.Equal(2, body.GetProperty("queued").GetInt64());
            Assert.Equal(HttpStatusCode.Conflict, (await Sends.ActAsync(Server, edition.Id, "pause")).Status);

            var (resumed, again) = await Sends.ActAsync(Server, edition.Id, "resume");
            Assert.Equal(HttpStatusCode.Accepted, resumed);
            Assert.Equal("sending", again.GetProperty("status").GetString());

            var (cancelled, final) = await Sends.ActAsync(Server, edition.Id, "cancel");
            Assert.Equal(HttpStatusCode.OK, cancelled);
            Assert.Equal("cancelled", final.GetProperty("status").GetString());
            Assert.Equal(HttpStatusCode.Conflict, (await Sends.ActAsync(Server, edition.Id, "resume")).Status);
            Assert.Equal(HttpStatusCode.Conflict, (await Sends.ActAsync(Server, edition.Id, "retry-failed")).Status);

            // The relay would take them now, but nobody sends from a cancelled edition.
            holding = false;
            await Task.Delay(TimeSpan.FromSeconds(2.5)); // past the longest retry delay of the test settings
            Assert.All(Sends.Received(app.Smtp.Messages, readers), r => Assert.Equal(0, r.Value));
            Assert.Equal(EditionStatus.Cancelled, (await Sends.ReadAsync(Server, edition.Id)).Status);
            Assert.All(await Sends.RecordsAsync(Server, edition.Id), r => Assert.Equal(DeliveryStatus.Queued, r.Status));
            var audit = await Server.QueryAsync(db => db.AuditEntries.Where(a => a.Target == edition.Id.ToString() && a.Action.StartsWith("edition.")).OrderBy(a => a.Id).Select(a => a.Action).ToListAsync());
            Assert.Equal(["edition.send", "edition.pause", "edition.resume", "edition.cancel"], audit);
        }
        finally
        {
            app.Smtp.Reply = _ => null;
        }
    }

    private async Task<string> ViewerTokenAsync()
    {
        var email = await ConsoleHttp.CreateUserAsync(Server, AdminRole.Viewer);
        var token = ApiTokens.Generate();
        await Server.QueryAsync(async db =>
        {
            var user = await db.AdminUsers.SingleAsync(u => u.NormalizedEmail == email.ToLowerInvariant());
            db.ApiTokens.Add(new ApiToken { UserId = user.Id, Name = "test", Hash = ApiTokens.Hash(token), Prefix = token[..8], CreatedAt = DateTime.UtcNow });
            return await db.SaveChangesAsync();
        });
        return token;
    }
}

[Collection(SqliteCollection.Name)]
public sealed class SendApiTestsOnSqlite(SqliteApp app) : SendApiTests(app);

[Collection(PostgresCollection.Name)]
public sealed class SendApiTestsOnPostgres(PostgresApp app) : SendApiTests(app);
