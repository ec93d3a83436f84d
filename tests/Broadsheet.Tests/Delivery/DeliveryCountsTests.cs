using Broadsheet.Delivery;
using Broadsheet.Editions;
using Broadsheet.Tests.Infrastructure;
using Broadsheet.Tests.Subscribers;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Broadsheet.Tests.Delivery;

/// <summary>
/// Progress counts are shared for a moment while an edition is sending (counting every record on each poll was half
/// of the database's work in a send), and read fresh otherwise or after an editor's action.
/// </summary>
public abstract class DeliveryCountsTests(AppFixture app)
{
    private BroadsheetServer Server => app.Server;

    [Fact]
    public async Task Counts_are_shared_while_sending_and_fresh_when_not_or_after_an_action()
    {
        var tag = Audience.NewTag();
        var newsletter = await Sends.NewsletterAsync(Server, tag);
        await Sends.SubscribersAsync(Server, newsletter, "counted", 3);
        var edition = await Sends.EditionAsync(Server, newsletter);
        await Sends.ActAsync(Server, edition.Id, "send");
        await Sends.WaitForAsync(Server, edition.Id, EditionStatus.Sent);
        var counts = Server.Services.GetRequiredService<DeliveryCounts>();

        Task<DeliveryCounts.Snapshot> Read(bool sending) => Server.QueryAsync(db => counts.ReadAsync(db, edition.Id, sending, CancellationToken.None));
        Task MarkOneFailed() => Server.QueryAsync(db => db.Deliveries.Where(d => d.EditionId == edition.Id && d.Status == DeliveryStatus.Sent)
            .OrderBy(d => d.Id).Take(1).ExecuteUpdateAsync(u => u.SetProperty(d => d.Status, DeliveryStatus.Failed)));

        await Read(sending: false); // drops what the send's own progress reads shared
        var first = await Read(sending: true);
        Assert.Equal((3, 0), (first[DeliveryStatus.Sent], first[DeliveryStatus.Failed]));
        Assert.Equal(3, first.SentLastMinute);

        await MarkOneFailed();
        var shared = await Read(sending: true);
        Assert.Same(first, shared);

        var fresh = await Read(sending: false);
        Assert.Equal((2, 1), (fresh[DeliveryStatus.Sent], fresh[DeliveryStatus.Failed]));

        var again = await Read(sending: true); // the fresh read dropped the shared count
        Assert.Equal((2, 1), (again[DeliveryStatus.Sent], again[DeliveryStatus.Failed]));
        await MarkOneFailed();
        counts.Forget(edition.Id);
        var afterAction = await Read(sending: true);
        Assert.Equal((1, 2), (afterAction[DeliveryStatus.Sent], afterAction[DeliveryStatus.Failed]));
    }
}

[Collection(SqliteCollection.Name)]
public sealed class DeliveryCountsTestsOnSqlite(SqliteApp app) : DeliveryCountsTests(app);

[Collection(PostgresCollection.Name)]
public sealed class DeliveryCountsTestsOnPostgres(PostgresApp app) : DeliveryCountsTests(app);
