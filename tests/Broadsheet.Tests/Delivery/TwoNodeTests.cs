using System.Net;
using System.Text.RegularExpressions;
using Broadsheet.Editions;
using Broadsheet.Tests.Infrastructure;
using Broadsheet.Tests.Subscribers;

namespace Broadsheet.Tests.Delivery;

/// <summary>Two app nodes on one PostgreSQL database share one send: both send, nobody gets it twice.</summary>
public sealed class TwoNodeTests
{
    [Fact]
    public async Task Two_nodes_share_a_send_without_mailing_anyone_twice()
    {
        // Each node has its own relay, so the test sees which node sent what.
        await using var relayA = new SmtpSink();
        await using var relayB = new SmtpSink();
        var settings = new Dictionary<string, string?> { ["Delivery:ClaimSize"] = "10", ["Delivery:MaxPerSecond"] = "150" };
        await using var first = await BroadsheetServer.StartAsync(DatabaseKind.Postgres, relayA, settings);
        await using var second = await BroadsheetServer.StartAsync(DatabaseKind.Postgres, relayB, settings, connectionString: first.ConnectionString);
        var newsletter = await Sends.NewsletterAsync(first, Audience.NewTag());
        var readers = await Sends.SubscribersAsync(first, newsletter, "reader", 400);
        var edition = await Sends.EditionAsync(first, newsletter);

        Assert.Equal(HttpStatusCode.Accepted, (await Sends.ActAsync(first, edition.Id, "send")).Status);
        await Sends.WaitForAsync(second, edition.Id, EditionStatus.Sent, TimeSpan.FromSeconds(60));

        Assert.All(Sends.Received(relayA.Messages.Concat(relayB.Messages), readers), r => Assert.Equal(1, r.Value));
        Assert.True(relayA.Messages.Count > 0 && relayB.Messages.Count > 0, $"One node did all the work: {relayA.Messages.Count} and {relayB.Messages.Count}.");

        // The link key is the site's, not the node's: either node opens the links the other put in its mail.
        foreach (var (message, other) in new[] { (relayA.Messages.First(), second), (relayB.Messages.First(), first) })
        {
            using var reader = other.CreateClient();
            Assert.Contains($"Signed in as <strong>{message.To.Mailboxes.Single().Address}</strong>", await reader.GetStringAsync(PreferencesHttp.PreferencesLink(message)));
            var unsubscribe = Regex.Match(message.TextBody, @"https?://\S+(/unsubscribe\?t=\S+)").Groups[1].Value;
            Assert.Contains(message.To.Mailboxes.Single().Address, await reader.GetStringAsync(unsubscribe));
        }
    }
}
