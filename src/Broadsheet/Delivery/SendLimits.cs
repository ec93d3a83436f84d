using System.Diagnostics;
using Broadsheet.Data;
using Broadsheet.Editions;
using Microsoft.EntityFrameworkCore;

namespace Broadsheet.Delivery;

/// <summary>
/// The rate limits of <see cref="DeliveryOptions"/>: per second on this node (each message waits for its slot, so
/// connections together keep to the rate), and per rolling hour for the whole site, counted in the database.
/// </summary>
public sealed class SendLimits(DeliveryOptions options)
{
    private readonly long _interval = options.MaxPerSecond > 0 ? Stopwatch.Frequency / options.MaxPerSecond : 0;
    private readonly long _slack = Stopwatch.Frequency / 500; // waits under 2 ms are not worth a timer
    private readonly Lock _gate = new();
    private readonly SemaphoreSlim _hour = new(1, 1);
    private long _next;

    /// <summary>Waits (blocking the connection's own thread) until this node may send its next message.</summary>
    public void Wait(CancellationToken ct)
    {
        if (_interval == 0) return;
        var now = Stopwatch.GetTimestamp();
        long slot;
        lock (_gate)
        {
            slot = Math.Max(now, _next);
            _next = slot + _interval;
        }
        var wait = slot - now;
        if (wait >= _slack && ct.WaitHandle.WaitOne(Stopwatch.GetElapsedTime(0, wait))) ct.ThrowIfCancellationRequested();
    }

    /// <summary>
    /// With an hourly limit, this node's connections count and claim one at a time, so that they do not all claim
    /// the same remaining allowance; without one it lets everyone through.
    /// </summary>
    public IDisposable? EnterClaim(CancellationToken ct)
    {
        if (options.MaxPerHour <= 0) return null;
        _hour.Wait(ct);
        return new Release(_hour);
    }

    private sealed class Release(SemaphoreSlim semaphore) : IDisposable
    {
        public void Dispose() => semaphore.Release();
    }

    /// <summary>
    /// How many recipients one connection should claim now: the claim size, made smaller when a rate limit would
    /// otherwise keep a claim waiting for long, and no more than the hour has left.
    /// </summary>
    public int ClaimSize(BroadsheetDb db)
    {
        var size = Math.Max(1, options.ClaimSize);
        if (options.MaxPerSecond > 0) size = Math.Min(size, Math.Max(1, options.MaxPerSecond / Math.Max(1, options.Connections)));
        if (options.MaxPerHour <= 0) return size;
        return (int)Math.Clamp(options.MaxPerHour - UsedThisHour(db), 0, size);
    }

    /// <summary>
    /// Messages sent in the last hour plus those claimed right now, by every node. Nodes that count at the same moment
    /// may together go over by at most one claim each.
    /// </summary>
    private static long UsedThisHour(BroadsheetDb db)
    {
        var now = DateTime.UtcNow;
        var since = now.AddHours(-1);
        var recent = db.Editions.Where(e => e.StartedAt != null && (e.FinishedAt == null || e.FinishedAt > since)).Select(e => e.Id);
        var sent = db.Deliveries.LongCount(d => recent.Contains(d.EditionId) && d.SentAt > since);
        var claimed = db.Deliveries.LongCount(d => recent.Contains(d.EditionId) && d.Status == DeliveryStatus.Queued && d.ClaimedUntil > now);
        return sent + claimed;
    }
}
