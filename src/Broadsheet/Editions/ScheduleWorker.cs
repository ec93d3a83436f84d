using Broadsheet.Data;
using Broadsheet.Delivery;
using Broadsheet.Newsletters;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Broadsheet.Editions;

/// <summary>
/// Starts what is due: scheduled editions whose time has come, and the digests of newsletters with a schedule. A
/// schedule's run is claimed by moving its next-run time on in the same transaction that creates and starts the
/// digest, so with several nodes a run happens once, and a crash before the commit leaves it to be run again.
/// </summary>
public sealed class ScheduleWorker(IServiceScopeFactory scopes, DeliverySignal signal, IOptions<EditionOptions> options, ILogger<ScheduleWorker> logger)
    : BackgroundService
{
    /// <summary>Who the audit trail names as the creator of scheduled digests.</summary>
    public const string Creator = "schedule";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await RunDueAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // Usually the database is unreachable; what is due stays due and is picked up on the next round.
                logger.LogWarning("Schedule round failed: {Error}", ex.Message);
            }
            try { await Task.Delay(options.Value.SchedulePollInterval, stoppingToken); }
            catch (OperationCanceledException) { return; }
        }
    }

    /// <summary>Starts the scheduled editions and runs the newsletter schedules that are due now.</summary>
    public async Task RunDueAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var services = scope.ServiceProvider;
        var db = services.GetRequiredService<BroadsheetDb>();
        var now = DateTime.UtcNow;

        var editions = await db.Editions.Where(e => e.Status == EditionStatus.Scheduled && e.ScheduledAt <= now)
            .OrderBy(e => e.ScheduledAt).Select(e => e.Id).Take(100).ToListAsync(ct);
        var actions = services.GetRequiredService<EditionActions>();
        foreach (var id in editions)
            if (await actions.SendNowAsync(id, ct)) logger.LogInformation("Edition {Edition} started at its scheduled time.", id);

        var newsletters = await db.Newsletters.Where(n => n.ScheduleEnabled && !n.IsArchived && n.NextScheduledRunAt <= now)
            .OrderBy(n => n.NextScheduledRunAt).Take(100).ToListAsync(ct);
        foreach (var newsletter in newsletters) await RunScheduleAsync(services, db, newsletter, now, ct);
    }

    private async Task RunScheduleAsync(IServiceProvider services, BroadsheetDb db, Newsletter newsletter, DateTime now, CancellationToken ct)
    {
        var due = newsletter.NextScheduledRunAt!.Value;
        var rule = ScheduleRule.FromStored(newsletter.ScheduleDays, newsletter.ScheduleTime, newsletter.ScheduleTimeZone);
        // After downtime the missed run happens once, late; the next one is the first after now, not a backlog.
        var next = rule?.NextAfter(now > due ? now : due);

        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var claimed = await db.Newsletters.Where(n => n.Id == newsletter.Id && n.ScheduleEnabled && n.NextScheduledRunAt == due)
            .ExecuteUpdateAsync(u => u.SetProperty(n => n.NextScheduledRunAt, next), ct);
        if (claimed == 0) return; // another node ran it, or an editor changed the schedule meanwhile
        if (rule is null)
        {
            await tx.CommitAsync(ct);
            logger.LogWarning("Newsletter {Newsletter} has an unusable schedule ({Days} {Time} {Zone}); it stays off until it is corrected.",
                newsletter.Slug, newsletter.ScheduleDays, newsletter.ScheduleTime, newsletter.ScheduleTimeZone);
            return;
        }

        var local = TimeZoneInfo.ConvertTimeFromUtc(DateTime.SpecifyKind(due, DateTimeKind.Utc), rule.Zone);
        var subject = $"{newsletter.Name}: {local.ToString("d MMMM yyyy", System.Globalization.CultureInfo.InvariantCulture)}";
        var result = await services.GetRequiredService<EditionComposer>().CreateAsync(newsletter, new EditionInput(subject, Digest: true), Creator, ct);
        if (!result.Ok)
        {
            await tx.CommitAsync(ct); // the run is over either way: nothing new is not a failure to retry
            if (result.Errors.ContainsKey("digest"))
                logger.LogInformation("Newsletter {Newsletter}: nothing new since its last edition, scheduled run of {Due:u} skipped.", newsletter.Slug, due);
            else
                logger.LogWarning("Newsletter {Newsletter}: scheduled digest not created: {Errors}", newsletter.Slug,
                    string.Join(" ", result.Errors.SelectMany(e => e.Value)));
            return;
        }
        var started = await services.GetRequiredService<EditionActions>().SendNowAsync(result.Edition!.Id, ct);
        await tx.CommitAsync(ct);
        signal.Notify(); // again, now that the started edition is visible to the send engine
        logger.LogInformation("Newsletter {Newsletter}: scheduled digest {Edition} with {Count} articles {State}.", newsletter.Slug,
            result.Edition.Id, result.Edition.ArticleIds.Count, started ? "started" : "created but not started");
    }
}
