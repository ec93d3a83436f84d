using Broadsheet.Data;
using Broadsheet.Mail;
using Broadsheet.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Broadsheet.Tests.Mail;

/// <summary>
/// Senders claim due mail from the table in batches: each claim takes rows no other claim holds, oldest due first, so
/// a backlog is drained in full however many senders (or nodes) claim at once.
/// </summary>
public abstract class MailClaimTests(DatabaseKind kind)
{
    protected const int Batch = 50;

    [Fact]
    public async Task Claims_one_after_another_take_different_rows_oldest_due_first()
    {
        await using var app = await StartQuietAsync(kind);
        var ids = await QueueAsync(app, 120);
        var worker = app.Server.Services.GetRequiredService<MailWorker>();

        var claims = new List<List<OutboundEmail>>();
        for (var i = 0; i < 4; i++) claims.Add(await app.Server.QueryAsync(db => worker.ClaimAsync(db, CancellationToken.None)));

        Assert.Equal([Batch, Batch, 20, 0], claims.Select(c => c.Count));
        Assert.Equal(ids, claims.SelectMany(c => c).Select(m => m.Id).Order());
        Assert.Equal(ids.Take(Batch), claims[0].Select(m => m.Id)); // queued first, due first
    }

    /// <summary>
    /// An app whose worker claims from the table only when woken: polls are an hour apart, and its first poll is past
    /// once a first message has been sent.
    /// </summary>
    protected static async Task<ExtraApp> StartQuietAsync(DatabaseKind kind)
    {
        var app = await ExtraApp.StartAsync(kind, new Dictionary<string, string?> { ["Mail:PollInterval"] = "01:00:00" });
        var first = await QueueAsync(app, 1, wake: true);
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (await app.Server.QueryAsync(db => db.OutboundEmails.AnyAsync(m => m.Id == first[0] && m.Status != OutboundEmailStatus.Sent)))
        {
            Assert.True(DateTime.UtcNow < deadline, "The worker never sent the first message.");
            await Task.Delay(50);
        }
        return app;
    }

    /// <summary>Queues <paramref name="count"/> messages one after another and returns their ids in order.</summary>
    protected static async Task<List<long>> QueueAsync(ExtraApp app, int count, bool wake = false)
    {
        await using var scope = app.Server.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<BroadsheetDb>();
        var queue = scope.ServiceProvider.GetRequiredService<MailQueue>();
        var values = new Dictionary<string, string> { ["confirm_url"] = "https://news.example/confirm", ["site_name"] = "Test" };
        var queued = Enumerable.Range(0, count).Select(_ => queue.Add(db, "confirm", TestData.NewEmail("claim"), values)).ToList();
        var start = DateTime.UtcNow.AddMinutes(-1);
        for (var i = 0; i < count; i++) queued[i].NextAttemptAt = start.AddMilliseconds(i); // distinct: no ties at a batch's edge
        await db.SaveChangesAsync();
        if (wake) queue.Wake();
        return queued.Select(m => m.Id).ToList();
    }
}

public sealed class MailClaimTestsOnSqlite() : MailClaimTests(DatabaseKind.Sqlite);

public sealed class MailClaimTestsOnPostgres() : MailClaimTests(DatabaseKind.Postgres)
{
    // SQLite runs one write at a time, so there claims cannot overlap.
    [Fact]
    public async Task A_claim_while_another_is_uncommitted_takes_other_rows_at_once_on_postgres()
    {
        await using var app = await StartQuietAsync(DatabaseKind.Postgres);
        var ids = await QueueAsync(app, 2 * Batch + 10);
        var worker = app.Server.Services.GetRequiredService<MailWorker>();

        await using var holding = app.Server.Services.CreateAsyncScope();
        var holdingDb = holding.ServiceProvider.GetRequiredService<BroadsheetDb>();
        await using var transaction = await holdingDb.Database.BeginTransactionAsync();
        var held = await worker.ClaimAsync(holdingDb, CancellationToken.None);
        Assert.Equal(Batch, held.Count);

        // Before, the second claim picked the same rows, waited for the first to commit and came back empty.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var other = await app.Server.QueryAsync(db => worker.ClaimAsync(db, timeout.Token));
        Assert.Equal(Batch, other.Count);
        Assert.Empty(held.Select(m => m.Id).Intersect(other.Select(m => m.Id)));

        await transaction.RollbackAsync();
        var rest = await app.Server.QueryAsync(db => worker.ClaimAsync(db, CancellationToken.None));
        Assert.Equal(Batch, rest.Count); // the rolled-back claim's rows are due again
        var last = await app.Server.QueryAsync(db => worker.ClaimAsync(db, CancellationToken.None));
        Assert.Equal(ids, other.Concat(rest).Concat(last).Select(m => m.Id).Order());
    }
}
