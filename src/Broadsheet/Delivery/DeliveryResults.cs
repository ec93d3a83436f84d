using Broadsheet.Data;
using Broadsheet.Mail;
using Microsoft.EntityFrameworkCore;

namespace Broadsheet.Delivery;

/// <summary>
/// Outcomes of one connection's claimed recipients, kept in memory and written in a few set-based updates per
/// batch (one for everything sent), never one round trip per message. Whatever was sent but not yet written when
/// the process dies is sent again once the claim runs out: at most one claim per connection.
/// </summary>
public sealed class DeliveryResults(DeliveryOptions options)
{
    private readonly List<long> _sent = [];
    private readonly List<long> _released = [];
    private readonly List<(long Id, DeliveryStatus Status, int Attempt, string Reply)> _other = [];

    public int Pending => _sent.Count + _released.Count + _other.Count;

    public void Sent(Recipient r) => _sent.Add(r.DeliveryId);

    /// <summary>Not mailed and never will be by this edition, e.g. unsubscribed after the send started.</summary>
    public void Skipped(Recipient r, string why) => _other.Add((r.DeliveryId, DeliveryStatus.Skipped, r.Attempts, why));

    /// <summary>Handed back untried (the send paused, no relay, shutting down); another claim picks it up.</summary>
    public void Released(Recipient r) => _released.Add(r.DeliveryId);

    /// <summary>A failed attempt: 5xx or too many attempts fail for good, the rest wait for a retry with backoff.</summary>
    public DeliveryStatus Failed(Recipient r, Exception ex)
    {
        var attempt = r.Attempts + 1;
        var reply = SmtpFailures.Describe(ex);
        if (SmtpFailures.IsPermanent(ex) || attempt >= options.MaxAttempts)
        {
            _other.Add((r.DeliveryId, DeliveryStatus.Failed, attempt, reply));
            return DeliveryStatus.Failed;
        }
        _other.Add((r.DeliveryId, DeliveryStatus.Queued, attempt, reply));
        return DeliveryStatus.Queued;
    }

    /// <summary>Writes what is pending and forgets it.</summary>
    public void Flush(BroadsheetDb db, SqliteWriteGate gate)
    {
        if (Pending == 0) return;
        var now = DateTime.UtcNow;
        using (gate.Enter(db, CancellationToken.None))
        {
            if (_sent.Count > 0)
                db.Deliveries.Where(d => _sent.Contains(d.Id)).ExecuteUpdate(u => u
                    .SetProperty(d => d.Status, DeliveryStatus.Sent).SetProperty(d => d.SentAt, now)
                    .SetProperty(d => d.Attempts, d => d.Attempts + 1).SetProperty(d => d.ClaimedUntil, (DateTime?)null)
                    .SetProperty(d => d.LastReply, (string?)null));
            if (_released.Count > 0)
                db.Deliveries.Where(d => _released.Contains(d.Id) && d.Status == DeliveryStatus.Queued)
                    .ExecuteUpdate(u => u.SetProperty(d => d.ClaimedUntil, (DateTime?)null));
            // Failures are few and mostly alike (a relay's 4xx for many recipients): one update per distinct outcome.
            foreach (var group in _other.GroupBy(o => (o.Status, o.Attempt, o.Reply)))
            {
                var ids = group.Select(o => o.Id).ToList();
                var (status, attempt, reply) = group.Key;
                var next = now + SmtpFailures.Backoff(attempt, options.RetryBaseDelay, options.MaxRetryDelay);
                db.Deliveries.Where(d => ids.Contains(d.Id)).ExecuteUpdate(u =>
                {
                    u.SetProperty(d => d.Status, status).SetProperty(d => d.LastReply, reply).SetProperty(d => d.ClaimedUntil, (DateTime?)null);
                    if (status != DeliveryStatus.Skipped) u.SetProperty(d => d.Attempts, d => d.Attempts + 1);
                    if (status == DeliveryStatus.Queued) u.SetProperty(d => d.NextAttemptAt, next);
                });
            }
        }
        _sent.Clear();
        _released.Clear();
        _other.Clear();
    }
}
