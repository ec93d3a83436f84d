namespace Broadsheet.Signup;

/// <summary>
/// Group commit: concurrent writes that arrive while earlier ones are in flight are written together, in one
/// transaction, by the first of them; each caller still gets its own result.
/// </summary>
/// <remarks>
/// Every transaction costs a commit, a WAL flush and a round trip whatever it holds, and under load those per-transaction
/// costs were most of a new-address sign-up's work in the database. Sharing the transaction keeps the rule "everything a
/// sign-up writes is one transaction": each sign-up's rows are all there or all absent, because the shared transaction
/// commits or rolls back as one, and when it fails each of its sign-ups is written again on its own, so one bad sign-up
/// (or a passing error) gets its own outcome and never fails the others. There is no waiting for company: a write
/// starts as soon as fewer than <c>maxInFlight</c> are running, and a batch is whatever queued meanwhile. No work runs
/// unawaited: the caller that leads a batch writes it inside its own request, then passes the next batch on to the
/// oldest waiting caller.
/// <para>
/// Extra batches: when <c>burstAt</c> writes are waiting while every slot is busy, they start at once as one more
/// batch, up to <c>burstInFlight</c> in flight. On PostgreSQL a batch spends much of its time waiting for its commit's
/// flush to disk; with two regular slots and no extra ones the machine idled about 15 % of the time under 32 clients
/// while sign-ups queued. An extra slot opens only for a large batch, so batches stay large (more regular slots made
/// them small and dearer, measured): one regular slot and extra ones beat two regular ones. An extra slot is given
/// back when its write ends unless as many are waiting again.
/// </para>
/// </remarks>
public sealed class WriteBatcher<T>(int maxInFlight, int maxBatch, int burstInFlight = 0, int burstAt = int.MaxValue)
{
    private enum Turn { Stored, NotStored, Lead, Alone }

    private sealed class Entry(T item)
    {
        public T Item { get; } = item;
        public TaskCompletionSource<Turn> Turn { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public List<Entry>? Batch { get; set; } // set when this entry is told to lead: the batch it writes, itself first
    }

    private readonly Queue<Entry> _waiting = new();
    private readonly Lock _lock = new();
    private int _inFlight;

    /// <summary>
    /// Writes <paramref name="item"/>, alone or with others. <paramref name="together"/> writes a batch in one transaction
    /// and returns each item's result in order (it may run this caller's item and others', so it must not depend on this
    /// request's cancellation); <paramref name="alone"/> writes this item by itself, and its exception is this caller's.
    /// </summary>
    public async Task<bool> WriteAsync(T item, Func<IReadOnlyList<T>, Task<IReadOnlyList<bool>>> together, Func<Task<bool>> alone)
    {
        var entry = new Entry(item);
        bool leads;
        Entry? burst = null;
        lock (_lock)
        {
            // Callers queue only while every slot is busy, so a free slot means the queue is empty: write at once.
            leads = _inFlight < maxInFlight;
            if (leads)
            {
                _inFlight++;
                entry.Batch = [entry];
            }
            else
            {
                _waiting.Enqueue(entry);
                if (_waiting.Count >= burstAt && _inFlight < burstInFlight)
                {
                    _inFlight++;
                    burst = TakeBatch();
                }
            }
        }
        burst?.Turn.SetResult(Turn.Lead);

        var turn = leads ? Turn.Lead : await entry.Turn.Task;
        return turn switch
        {
            Turn.Stored => true,
            Turn.NotStored => false,
            Turn.Alone => await alone(),
            _ => await LeadAsync(entry.Batch!, together, alone),
        };
    }

    private async Task<bool> LeadAsync(List<Entry> batch, Func<IReadOnlyList<T>, Task<IReadOnlyList<bool>>> together, Func<Task<bool>> alone)
    {
        if (batch.Count == 1)
        {
            try
            {
                return await alone();
            }
            finally
            {
                PassOn();
            }
        }

        IReadOnlyList<bool> results;
        try
        {
            results = await together([.. batch.Select(e => e.Item)]);
        }
        catch
        {
            // Nothing of the batch was stored: each sign-up tries again on its own, with its own outcome.
            PassOn();
            foreach (var other in batch.Skip(1)) other.Turn.SetResult(Turn.Alone);
            return await alone();
        }
        PassOn();
        for (var i = 1; i < batch.Count; i++) batch[i].Turn.SetResult(results[i] ? Turn.Stored : Turn.NotStored);
        return results[0];
    }

    /// <summary>This write is done: the oldest waiting caller leads whatever queued meanwhile, or the slot is freed.</summary>
    private void PassOn()
    {
        Entry? next = null;
        lock (_lock)
        {
            if (_waiting.Count == 0 || (_inFlight > maxInFlight && _waiting.Count < burstAt))
            {
                _inFlight--;
                return;
            }
            next = TakeBatch();
        }
        next.Turn.SetResult(Turn.Lead);
    }

    private Entry TakeBatch()
    {
        var batch = new List<Entry>(Math.Min(_waiting.Count, maxBatch));
        while (batch.Count < maxBatch && _waiting.TryDequeue(out var waiting)) batch.Add(waiting);
        batch[0].Batch = batch;
        return batch[0];
    }
}
