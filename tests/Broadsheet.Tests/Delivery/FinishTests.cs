using System.Net;
using Broadsheet.Editions;
using Broadsheet.Tests.Infrastructure;
using Broadsheet.Tests.Subscribers;
using Xunit;

namespace Broadsheet.Tests.Delivery;

/// <summary>An edition is marked sent as soon as its last message is, not at the engine's next look round.</summary>
public sealed class FinishTests
{
    [Theory]
    [InlineData(3)]
    [InlineData(0)] // nothing to send: the audience writer's end alone must finish it
    public async Task An_edition_is_marked_sent_right_after_its_last_message_even_with_a_long_poll_interval(int readers)
    {
        await using var app = await ExtraApp.StartAsync(DatabaseKind.Sqlite, new Dictionary<string, string?> { ["Delivery:PollInterval"] = "00:01:00" });
        var newsletter = await Sends.NewsletterAsync(app.Server, Audience.NewTag());
        await Sends.SubscribersAsync(app.Server, newsletter, "reader", readers);
        var edition = await Sends.EditionAsync(app.Server, newsletter);

        Assert.Equal(HttpStatusCode.Accepted, (await Sends.ActAsync(app.Server, edition.Id, "send")).Status);
        var sent = await Sends.WaitForAsync(app.Server, edition.Id, EditionStatus.Sent, TimeSpan.FromSeconds(20));
        Assert.Equal(readers, app.Smtp!.Messages.Count(m => m.Subject == edition.Subject));
        Assert.True(sent.FinishedAt - sent.StartedAt < TimeSpan.FromSeconds(20), $"took {sent.FinishedAt - sent.StartedAt}");
    }
}
