using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Broadsheet.Delivery;
using Broadsheet.Editions;
using Broadsheet.Tests.Infrastructure;
using Broadsheet.Tests.Subscribers;
using SmtpServer.Protocol;

namespace Broadsheet.Tests.Delivery;

/// <summary>A relay behind a proxy that a test can take away or make drop connections: nobody is lost, nobody is mailed twice.</summary>
public abstract class RelayTests(DatabaseKind kind)
{
    private Task<BroadsheetServer> StartAsync(SmtpSink sink, TcpProxy proxy) => BroadsheetServer.StartAsync(kind, sink, new Dictionary<string, string?>
    {
        ["Delivery:Relays:0:Host"] = "127.0.0.1",
        ["Delivery:Relays:0:Port"] = proxy.Port.ToString(),
        ["Delivery:Relays:0:Timeout"] = "00:00:03",
        ["Delivery:Connections"] = "3",
        ["Delivery:ClaimSize"] = "10",
        ["Site:BaseUrl"] = "https://news.example",
    });

    [Fact]
    public async Task A_relay_that_is_down_pauses_the_send_with_a_reason_and_after_a_resume_it_finishes()
    {
        await using var sink = new SmtpSink();
        await using var proxy = new TcpProxy("127.0.0.1", sink.Port);
        proxy.Stop();
        await using var server = await StartAsync(sink, proxy);
        var newsletter = await Sends.NewsletterAsync(server, Audience.NewTag());
        var readers = await Sends.SubscribersAsync(server, newsletter, "reader", 12);
        var edition = await Sends.EditionAsync(server, newsletter);

        Assert.Equal(HttpStatusCode.Accepted, (await Sends.ActAsync(server, edition.Id, "send")).Status);
        var paused = await Sends.WaitForAsync(server, edition.Id, EditionStatus.Paused);
        Assert.StartsWith("No relay could be reached: ", paused.PausedReason);
        Assert.Contains($"127.0.0.1:{proxy.Port}", paused.PausedReason);
        Assert.Contains("refused", paused.PausedReason, StringComparison.OrdinalIgnoreCase);
        Assert.Empty(sink.Messages);
        Assert.All(await Sends.RecordsAsync(server, edition.Id), r => Assert.Equal((DeliveryStatus.Queued, 0), (r.Status, r.Attempts)));

        proxy.Start();
        var (status, resumed) = await Sends.ActAsync(server, edition.Id, "resume");
        Assert.Equal(HttpStatusCode.Accepted, status);
        Assert.Equal(JsonValueKind.Null, resumed.GetProperty("pausedReason").ValueKind);
        await Sends.WaitForAsync(server, edition.Id, EditionStatus.Sent);
        Assert.All(Sends.Received(sink.Messages, readers), r => Assert.Equal(1, r.Value));
        Assert.All(await Sends.RecordsAsync(server, edition.Id), r => Assert.Equal((DeliveryStatus.Sent, 1), (r.Status, r.Attempts)));
        Assert.All(sink.Messages, m => Assert.StartsWith("<https://news.example/unsubscribe/one-click?t=", m.Headers["List-Unsubscribe"]));
    }

    [Fact]
    public async Task Refusals_and_dropped_connections_lose_nobody_and_mail_nobody_twice()
    {
        await using var sink = new SmtpSink();
        await using var proxy = new TcpProxy("127.0.0.1", sink.Port);
        await using var server = await StartAsync(sink, proxy);
        var newsletter = await Sends.NewsletterAsync(server, Audience.NewTag());
        var readers = await Sends.SubscribersAsync(server, newsletter, "reader", 40);
        var greylisted = readers.Take(10).Select(r => r.Email).ToHashSet();
        var dropped = readers.Skip(10).Take(10).Select(r => r.Email).ToList();
        var refusedOnce = new ConcurrentDictionary<string, byte>();
        var cutOnce = new ConcurrentDictionary<string, byte>();
        sink.Reply = to => greylisted.Contains(to) && refusedOnce.TryAdd(to, 0) ? new SmtpResponse((SmtpReplyCode)451, "greylisted") : null;
        // The first time the relay is asked to take one of these, the connection goes dead before it hears the recipient.
        proxy.CutWhen = data => dropped.FirstOrDefault(d => data.Contains($"RCPT TO:<{d}>", StringComparison.OrdinalIgnoreCase)) is { } d && cutOnce.TryAdd(d, 0);
        var edition = await Sends.EditionAsync(server, newsletter);

        Assert.Equal(HttpStatusCode.Accepted, (await Sends.ActAsync(server, edition.Id, "send")).Status);
        await Sends.WaitForAsync(server, edition.Id, EditionStatus.Sent);
        Assert.All(Sends.Received(sink.Messages, readers), r => Assert.Equal(1, r.Value));
        Assert.Equal(readers.Count, sink.Messages.Count);
        Assert.Equal(10, refusedOnce.Count);
        Assert.Equal(10, cutOnce.Count);
        var records = await Sends.RecordsAsync(server, edition.Id);
        Assert.All(records, r => Assert.Equal(DeliveryStatus.Sent, r.Status));
        Assert.All(records, r => Assert.Equal(greylisted.Contains(r.Email) || dropped.Contains(r.Email) ? 2 : 1, r.Attempts));
        Assert.True(proxy.Accepted > 3 + 1, $"Only {proxy.Accepted} connections for 10 dropped ones: the pool did not reconnect.");
    }
}

public sealed class RelayTestsOnSqlite() : RelayTests(DatabaseKind.Sqlite);

public sealed class RelayTestsOnPostgres() : RelayTests(DatabaseKind.Postgres);
