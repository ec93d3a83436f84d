using Broadsheet.Data;
using Broadsheet.Delivery;
using Microsoft.EntityFrameworkCore;

namespace Broadsheet.Editions;

/// <summary>
/// The state changes of an edition's send (send now, schedule, pause, resume, cancel, retry failed). Each is one
/// conditional update on the current status, so two editors (or nodes) racing cannot both win, and an action that
/// does not fit the current status changes nothing and says so.
/// </summary>
public sealed class EditionActions(BroadsheetDb db, DeliverySignal signal, DeliveryCounts counts)
{
    /// <summary>Starts sending now: the audience is everyone active at this moment, counted for progress.</summary>
    public async Task<bool> SendNowAsync(long id, CancellationToken ct)
    {
        var now = DateTime.UtcNow;
        var started = await ChangeAsync(id, [EditionStatus.Draft, EditionStatus.Scheduled], u => u
            .SetProperty(e => e.Status, EditionStatus.Sending)
            .SetProperty(e => e.StartedAt, now)
            .SetProperty(e => e.ScheduledAt, (DateTime?)null)
            .SetProperty(e => e.PausedReason, (string?)null)
            .SetProperty(e => e.UpdatedAt, now), ct);
        if (started && await db.Editions.AsNoTracking().FirstOrDefaultAsync(e => e.Id == id, ct) is { } edition)
        {
            var size = await DeliveryAudience.CountAsync(db, edition, ct);
            await db.Editions.Where(e => e.Id == id && e.AudienceCursor == 0).ExecuteUpdateAsync(u => u.SetProperty(e => e.AudienceSize, size), ct);
        }
        return started;
    }

    /// <summary>Sends by itself at <paramref name="at"/> (UTC); a scheduled edition can be rescheduled or sent now.</summary>
    public Task<bool> ScheduleAsync(long id, DateTime at, CancellationToken ct) =>
        ChangeAsync(id, [EditionStatus.Draft, EditionStatus.Scheduled], u => u
            .SetProperty(e => e.Status, EditionStatus.Scheduled)
            .SetProperty(e => e.ScheduledAt, at)
            .SetProperty(e => e.UpdatedAt, DateTime.UtcNow), ct);

    /// <summary>Back to draft from scheduled.</summary>
    public Task<bool> UnscheduleAsync(long id, CancellationToken ct) =>
        ChangeAsync(id, [EditionStatus.Scheduled], u => u
            .SetProperty(e => e.Status, EditionStatus.Draft)
            .SetProperty(e => e.ScheduledAt, (DateTime?)null)
            .SetProperty(e => e.UpdatedAt, DateTime.UtcNow), ct);

    /// <summary>Holds the send; messages already handed to a relay are not recalled, the rest wait.</summary>
    public Task<bool> PauseAsync(long id, CancellationToken ct) => PauseAsync(id, null, ct);

    /// <summary>Holds the send with a reason shown to editors, e.g. when every relay is unreachable.</summary>
    public Task<bool> PauseAsync(long id, string? reason, CancellationToken ct) =>
        ChangeAsync(id, [EditionStatus.Sending], u => u
            .SetProperty(e => e.Status, EditionStatus.Paused)
            .SetProperty(e => e.PausedReason, reason)
            .SetProperty(e => e.UpdatedAt, DateTime.UtcNow), ct);

    public Task<bool> ResumeAsync(long id, CancellationToken ct) =>
        ChangeAsync(id, [EditionStatus.Paused], u => u
            .SetProperty(e => e.Status, EditionStatus.Sending)
            .SetProperty(e => e.PausedReason, (string?)null)
            .SetProperty(e => e.UpdatedAt, DateTime.UtcNow), ct);

    /// <summary>Stops for good: recipients not yet sent to are never sent this edition.</summary>
    public Task<bool> CancelAsync(long id, CancellationToken ct)
    {
        var now = DateTime.UtcNow;
        return ChangeAsync(id, [EditionStatus.Draft, EditionStatus.Scheduled, EditionStatus.Sending, EditionStatus.Paused], u => u
            .SetProperty(e => e.Status, EditionStatus.Cancelled)
            .SetProperty(e => e.FinishedAt, now)
            .SetProperty(e => e.UpdatedAt, now), ct);
    }

    /// <summary>
    /// Queues the recipients whose delivery failed for good once more, and sends the edition again (also after it
    /// finished). Returns how many were queued again.
    /// </summary>
    public async Task<int> RetryFailedAsync(long id, CancellationToken ct)
    {
        var now = DateTime.UtcNow;
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var edition = await db.Editions.Where(e => e.Id == id && (e.Status == EditionStatus.Sending || e.Status == EditionStatus.Paused || e.Status == EditionStatus.Sent))
            .ExecuteUpdateAsync(u => u.SetProperty(e => e.Status, EditionStatus.Sending).SetProperty(e => e.FinishedAt, (DateTime?)null)
                .SetProperty(e => e.PausedReason, (string?)null).SetProperty(e => e.UpdatedAt, now), ct);
        if (edition == 0) return 0;
        var queued = await db.Deliveries.Where(d => d.EditionId == id && d.Status == DeliveryStatus.Failed)
            .ExecuteUpdateAsync(u => u.SetProperty(d => d.Status, DeliveryStatus.Queued).SetProperty(d => d.Attempts, 0)
                .SetProperty(d => d.NextAttemptAt, now).SetProperty(d => d.ClaimedUntil, (DateTime?)null), ct);
        await tx.CommitAsync(ct);
        counts.Forget(id);
        signal.Notify();
        return queued;
    }

    private async Task<bool> ChangeAsync(long id, EditionStatus[] from,
        Action<Microsoft.EntityFrameworkCore.Query.UpdateSettersBuilder<Edition>> set, CancellationToken ct)
    {
        var changed = await db.Editions.Where(e => e.Id == id && from.Contains(e.Status)).ExecuteUpdateAsync(set, ct);
        if (changed == 0) return false;
        counts.Forget(id);
        signal.Notify();
        return true;
    }
}
