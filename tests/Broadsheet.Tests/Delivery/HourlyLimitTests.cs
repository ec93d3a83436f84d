using System.Net;
using Broadsheet.Delivery;
using Broadsheet.Editions;
using Broadsheet.Tests.Infrastructure;
using Broadsheet.Tests.Subscribers;

namespace Broadsheet.Tests.Delivery;

/// <summary><c>Delivery:MaxPerHour</c> stops a send at the hour's allowance; the rest wait, still queued, and the edition stays sending.</summary>
public sealed class HourlyLimitTests
{
    [Fact]
    public async Task A_send_stops_at_the_hourly_allowance_and_the_rest_wait()
    {
        await using var app = await ExtraApp.StartAsync(DatabaseKind.Sqlite, new Dictionary<string, string?> { ["Delivery:MaxPerHour"] = "5" });
        var newsletter = await Sends.NewsletterAsync(app.Server, Audience.NewTag());
        var readers = await Sends.SubscribersAsync(app.Server, newsletter, "reader", 8);
        var edition = await Sends.EditionAsync(app.Server, newsletter);

        Assert.Equal(HttpStatusCode.Accepted, (await Sends.ActAsync(app.Server, edition.Id, "send")).Status);
        await Sends.WaitForRecordAsync(app.Server, edition.Id, readers[0].Id, r => r.Status == DeliveryStatus.Sent);
        await Task.Delay(TimeSpan.FromSeconds(1.5)); // several rounds of the test's poll interval
        var records = await Sends.RecordsAsync(app.Server, edition.Id);
        Assert.Equal(5, records.Count(r => r.Status == DeliveryStatus.Sent));
        Assert.Equal(3, records.Count(r => r.Status == DeliveryStatus.Queued));
        Assert.Equal(5, app.Smtp!.Messages.Count(m => m.Subject == edition.Subject));
        Assert.Equal(EditionStatus.Sending, (await Sends.ReadAsync(app.Server, edition.Id)).Status);
    }
}
