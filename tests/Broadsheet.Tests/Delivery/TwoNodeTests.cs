using System.Net;
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
    }
}
