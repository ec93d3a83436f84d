using System.Net;
using Broadsheet.Editions;
using Broadsheet.Tests.Infrastructure;
using Broadsheet.Tests.Subscribers;
using MimeKit;

namespace Broadsheet.Tests.Delivery;

/// <summary>Without a relay (<c>Mail:Transport=outbox</c>, as in the demo) an edition is "sent" into the outbox folder.</summary>
public sealed class OutboxSendTests
{
    [Fact]
    public async Task Without_a_relay_an_edition_goes_to_the_outbox()
    {
        await using var app = await ExtraApp.StartAsync(DatabaseKind.Sqlite, new Dictionary<string, string?>(), withSmtp: false);
        var server = app.Server;
        var newsletter = await Sends.NewsletterAsync(server, Audience.NewTag());
        var readers = await Sends.SubscribersAsync(server, newsletter, "reader", 3);
        var edition = await Sends.EditionAsync(server, newsletter);

        Assert.Equal(HttpStatusCode.Accepted, (await Sends.ActAsync(server, edition.Id, "send")).Status);
        await Sends.WaitForAsync(server, edition.Id, EditionStatus.Sent);
        var files = Directory.GetFiles(Path.Combine(server.DataPath, "outbox"), "*.eml");
        var messages = files.Select(f => MimeMessage.Load(f)).Where(m => m.Subject == edition.Subject).ToList();
        Assert.All(Sends.Received(messages, readers), r => Assert.Equal(1, r.Value));
        Assert.All(messages, m => Assert.Equal("List-Unsubscribe=One-Click", m.Headers["List-Unsubscribe-Post"]));
    }
}
