using System.Diagnostics;
using System.Net;
using Broadsheet.Delivery;
using Broadsheet.Editions;
using Broadsheet.Tests.Infrastructure;
using Broadsheet.Tests.Subscribers;

namespace Broadsheet.Tests.Delivery;

/// <summary>The send's rate limits: messages per second on a node, and per rolling hour for the whole site.</summary>
public abstract class RateLimitTests(DatabaseKind kind)
{
    private Task<BroadsheetServer> StartAsync(SmtpSink sink, string setting, string value) => BroadsheetServer.StartAsync(kind, sink, new Dictionary<string, string?>
    {
        [setting] = value,
        ["Delivery:Connections"] = "1",
        ["Delivery:ClaimSize"] = "2",
        ["Site:BaseUrl"] = "https://news.example",
    });

    [Fact]
    public async Task The_hourly_limit_holds_the_rest_back_and_the_edition_is_not_finished()
    {
        await using var sink = new SmtpSink();
        await using var server = await StartAsync(sink, "Delivery:MaxPerHour", "5");
        var newsletter = await Sends.NewsletterAsync(server, Audience.NewTag());
        await Sends.SubscribersAsync(server, newsletter, "reader", 8);
        var edition = await Sends.EditionAsync(server, newsletter);

        Assert.Equal(HttpStatusCode.Accepted, (await Sends.ActAsync(server, edition.Id, "send")).Status);
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (sink.Messages.Count < 5 && DateTime.UtcNow < deadline) await Task.Delay(100);
        await Task.Delay(TimeSpan.FromSeconds(2)); // ten more rounds of the engine: none may send a sixth
        Assert.Equal(5, sink.Messages.Count);
        var records = await Sends.RecordsAsync(server, edition.Id);
        Assert.Equal(5, records.Count(r => r.Status == DeliveryStatus.Sent));
        Assert.Equal(3, records.Count(r => r.Status == DeliveryStatus.Queued));
        Assert.Equal(EditionStatus.Sending, (await Sends.ReadAsync(server, edition.Id)).Status);
    }

    [Fact]
    public async Task The_per_second_limit_spaces_the_messages_out()
    {
        await using var sink = new SmtpSink();
        await using var server = await StartAsync(sink, "Delivery:MaxPerSecond", "10");
        var newsletter = await Sends.NewsletterAsync(server, Audience.NewTag());
        var readers = await Sends.SubscribersAsync(server, newsletter, "reader", 25);
        var edition = await Sends.EditionAsync(server, newsletter);

        var clock = Stopwatch.StartNew();
        Assert.Equal(HttpStatusCode.Accepted, (await Sends.ActAsync(server, edition.Id, "send")).Status);
        await Sends.WaitForAsync(server, edition.Id, EditionStatus.Sent);
        // 25 messages at 10 a second: the last may leave no sooner than 2.4 s after the first.
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(2.4), $"25 messages took only {clock.Elapsed.TotalSeconds:F1} s at 10 a second.");
        Assert.All(Sends.Received(sink.Messages, readers), r => Assert.Equal(1, r.Value));
        var sentAt = (await Sends.RecordsAsync(server, edition.Id)).Select(r => r.SentAt!.Value).Order().ToList();
        Assert.True(sentAt[^1] - sentAt[0] >= TimeSpan.FromSeconds(2.3), $"Sent within {(sentAt[^1] - sentAt[0]).TotalSeconds:F1} s.");
    }
}

/// <summary>Rate limits on SQLite.</summary>
public sealed class RateLimitTestsOnSqlite() : RateLimitTests(DatabaseKind.Sqlite);

/// <summary>Rate limits on PostgreSQL.</summary>
public sealed class RateLimitTestsOnPostgres() : RateLimitTests(DatabaseKind.Postgres);
