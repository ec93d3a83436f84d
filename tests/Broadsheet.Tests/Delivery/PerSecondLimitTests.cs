using System.Diagnostics;
using System.Net;
using Broadsheet.Delivery;
using Broadsheet.Editions;
using Broadsheet.Tests.Infrastructure;
using Broadsheet.Tests.Subscribers;

namespace Broadsheet.Tests.Delivery;

/// <summary><c>Delivery:MaxPerSecond</c> spaces a node's messages out (the hourly limit has <see cref="HourlyLimitTests"/>).</summary>
public abstract class PerSecondLimitTests(DatabaseKind kind)
{
    private Task<BroadsheetServer> StartAsync(SmtpSink sink) => BroadsheetServer.StartAsync(kind, sink, new Dictionary<string, string?>
    {
        ["Delivery:MaxPerSecond"] = "10",
        ["Delivery:Connections"] = "1",
        ["Delivery:ClaimSize"] = "2",
        ["Site:BaseUrl"] = "https://news.example",
    });

    [Fact]
    public async Task The_per_second_limit_spaces_the_messages_out()
    {
        await using var sink = new SmtpSink();
        await using var server = await StartAsync(sink);
        var newsletter = await Sends.NewsletterAsync(server, Audience.NewTag());
        var readers = await Sends.SubscribersAsync(server, newsletter, "reader", 25);
        var edition = await Sends.EditionAsync(server, newsletter);

        var clock = Stopwatch.StartNew();
        Assert.Equal(HttpStatusCode.Accepted, (await Sends.ActAsync(server, edition.Id, "send")).Status);
        await Sends.WaitForAsync(server, edition.Id, EditionStatus.Sent);
        // 25 messages at 10 a second: the last may leave no sooner than 2.4 s after the first.
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(2.4), $"25 messages took only {clock.Elapsed.TotalSeconds:F1} s at 10 a second.");
        var records = await Sends.RecordsAsync(server, edition.Id);
        // Seen once in CI (a reader got the edition twice, cause not found): the records then say how each was tried.
        var notOnce = Sends.Received(sink.Messages, readers).Where(r => r.Value != 1).Select(r => r.Key).ToList();
        Assert.True(notOnce.Count == 0, $"Not received exactly once: {string.Join(", ", notOnce)}; after {clock.Elapsed.TotalSeconds:F1} s; records: "
            + string.Join("; ", records.Select(r => $"{r.Email} {r.Status} attempts {r.Attempts} sent {r.SentAt:HH:mm:ss.fff}")));
        // Outcomes are recorded per claim of two, so the recorded times spread a little less than the sends.
        var sentAt = records.Select(r => r.SentAt!.Value).Order().ToList();
        Assert.True(sentAt[^1] - sentAt[0] >= TimeSpan.FromSeconds(2), $"Recorded as sent within {(sentAt[^1] - sentAt[0]).TotalSeconds:F2} s.");
    }
}

/// <summary>The per-second limit on SQLite.</summary>
public sealed class PerSecondLimitTestsOnSqlite() : PerSecondLimitTests(DatabaseKind.Sqlite);

/// <summary>The per-second limit on PostgreSQL.</summary>
public sealed class PerSecondLimitTestsOnPostgres() : PerSecondLimitTests(DatabaseKind.Postgres);
