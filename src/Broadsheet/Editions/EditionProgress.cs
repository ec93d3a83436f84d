using Broadsheet.Data;
using Broadsheet.Delivery;
using Microsoft.EntityFrameworkCore;

namespace Broadsheet.Editions;

/// <summary>Where a send stands: counts per delivery status, the rate over the last minute, and an estimated finish.</summary>
public sealed record EditionProgress(
    long Id, string Status, string? PausedReason, long Audience, long Queued, long Sent, long Failed, long Skipped,
    long Remaining, double RatePerSecond, DateTime? EstimatedFinish, DateTime? StartedAt, DateTime? FinishedAt)
{
    /// <summary>The progress of edition <paramref name="id"/>, or null when there is none.</summary>
    public static async Task<EditionProgress?> ReadAsync(BroadsheetDb db, DeliveryCounts deliveryCounts, long id, CancellationToken ct)
    {
        var e = await db.Editions.AsNoTracking().FirstOrDefaultAsync(x => x.Id == id, ct);
        if (e is null) return null;
        var counts = await deliveryCounts.ReadAsync(db, id, e.Status == EditionStatus.Sending, ct);
        long Count(DeliveryStatus s) => counts[s];

        var written = counts.Written;
        // Until every delivery record is written, the audience counted at the start stands in for the rest.
        var notWritten = e.AudienceComplete ? 0 : Math.Max(0, e.AudienceSize - written);
        var remaining = e.Status is EditionStatus.Cancelled ? 0 : Count(DeliveryStatus.Queued) + notWritten;
        var rate = counts.RatePerSecond;
        DateTime? finish = remaining > 0 && rate > 0 && e.Status == EditionStatus.Sending ? DateTime.UtcNow.AddSeconds(remaining / rate) : null;
        return new EditionProgress(e.Id, e.Status.ToString().ToLowerInvariant(), e.PausedReason, Math.Max(e.AudienceSize, written),
            Count(DeliveryStatus.Queued), Count(DeliveryStatus.Sent), Count(DeliveryStatus.Failed), Count(DeliveryStatus.Skipped),
            remaining, Math.Round(rate, 1), finish, e.StartedAt, e.FinishedAt);
    }
}
