using System.Collections.Concurrent;

namespace Broadsheet.Mail;

/// <summary>
/// Mail this node queued that its own worker sends straight from memory. The writer inserts the message already
/// claimed by this node and, once its transaction has committed, hands it over here, so the worker need not claim it
/// and read it back: under a burst of sign-ups that claim (an UPDATE and a SELECT per batch over a growing queue) was
/// the database's second-largest cost. The row stays the durable copy: if this process dies first, the claim runs out
/// and any node's worker sends the message then.
/// </summary>
public sealed class MailHandoff(MailSignal signal)
{
    /// <summary>Most messages waiting in memory; beyond it mail is queued unclaimed, for the worker's database poll.</summary>
    public const int Capacity = 5000;

    /// <summary>How long a handed message stays claimed by this node.</summary>
    public static readonly TimeSpan ClaimFor = TimeSpan.FromMinutes(5);

    private readonly ConcurrentQueue<OutboundEmail> _waiting = new();
    private int _held;

    /// <summary>Claims <paramref name="mail"/> for this node when there is room; false leaves it unclaimed for the poll.</summary>
    public bool TryClaim(IReadOnlyList<OutboundEmail> mail)
    {
        if (mail.Count == 0) return false;
        if (Interlocked.Add(ref _held, mail.Count) > Capacity)
        {
            Interlocked.Add(ref _held, -mail.Count);
            return false;
        }
        var until = DateTime.UtcNow + ClaimFor;
        foreach (var message in mail)
        {
            // Due again only when the claim runs out: the worker's poll of the table then never even reads handed mail.
            message.NextAttemptAt = until;
            message.ClaimedUntil = until; // no claim token: nobody reads handed mail back from the table
        }
        return true;
    }

    /// <summary>After the commit that stored <paramref name="mail"/> (ids set): the worker sends it.</summary>
    public void Hand(IReadOnlyList<OutboundEmail> mail)
    {
        foreach (var message in mail) _waiting.Enqueue(message);
        signal.Notify();
    }

    /// <summary>How many handed messages wait for the worker.</summary>
    public int Waiting => _waiting.Count;

    /// <summary>Nothing was committed: the claim was never stored, give the room back.</summary>
    public void Cancel(IReadOnlyList<OutboundEmail> mail) => Interlocked.Add(ref _held, -mail.Count);

    /// <summary>
    /// Up to <paramref name="max"/> handed messages, oldest first, leaving out any whose claim has less than
    /// <paramref name="margin"/> left: another node may claim those once it runs out, so they are left to the poll.
    /// </summary>
    public List<OutboundEmail> Take(int max, TimeSpan margin)
    {
        var batch = new List<OutboundEmail>();
        var taken = 0;
        var latest = DateTime.UtcNow + margin;
        while (batch.Count < max && _waiting.TryDequeue(out var message))
        {
            taken++;
            if (message.ClaimedUntil > latest) batch.Add(message);
        }
        Interlocked.Add(ref _held, -taken);
        return batch;
    }
}
