using Broadsheet.Signup;

namespace Broadsheet.Tests.Signup;

/// <summary>
/// The group-commit core without a database: which writes share a batch, who gets which result, and what a failed
/// batch does. The sign-up tests cover the real writes on both databases.
/// </summary>
public sealed class WriteBatcherTests
{
    /// <summary>Records what the batcher asked for; each item's result is "stored" unless its name says otherwise.</summary>
    private sealed class Writes
    {
        public List<string[]> Batches { get; } = [];
        public List<string> Alone { get; } = [];
        public Exception? FailBatches { get; set; }
        public TaskCompletionSource? Hold { get; set; }
        public TaskCompletionSource? HoldBatches { get; set; }

        public bool Started(string item)
        {
            lock (this) return Alone.Contains(item);
        }

        public async Task<IReadOnlyList<bool>> TogetherAsync(IReadOnlyList<string> items)
        {
            lock (this) Batches.Add([.. items]);
            if (HoldBatches is { } hold) await hold.Task;
            if (FailBatches is not null) throw FailBatches;
            return [.. items.Select(i => !i.StartsWith("known"))];
        }

        public int BatchCount
        {
            get { lock (this) return Batches.Count; }
        }

        public Func<Task<bool>> AloneAsync(string item) => async () =>
        {
            lock (this) Alone.Add(item);
            if (Hold is { } hold) await hold.Task;
            if (item.StartsWith("bad")) throw new InvalidOperationException("bad item " + item);
            return !item.StartsWith("known");
        };
    }

    /// <summary>Starts a write that stays in flight until the returned hold is released, and waits until it is in flight.</summary>
    private static async Task<(Task<bool> Write, TaskCompletionSource Hold)> OccupyAsync(WriteBatcher<string> batcher, Writes writes, string item)
    {
        var hold = writes.Hold = new(TaskCreationOptions.RunContinuationsAsynchronously);
        var task = batcher.WriteAsync(item, writes.TogetherAsync, writes.AloneAsync(item));
        for (var i = 0; i < 500 && !writes.Started(item); i++) await Task.Delay(10);
        Assert.True(writes.Started(item));
        writes.Hold = null; // later writes run through
        return (task, hold);
    }

    [Fact]
    public async Task A_lone_write_is_written_at_once_on_its_own()
    {
        var writes = new Writes();
        var batcher = new WriteBatcher<string>(maxInFlight: 1, maxBatch: 64);
        Assert.True(await batcher.WriteAsync("a", writes.TogetherAsync, writes.AloneAsync("a")));
        Assert.False(await batcher.WriteAsync("known-b", writes.TogetherAsync, writes.AloneAsync("known-b")));
        Assert.Equal(["a", "known-b"], writes.Alone);
        Assert.Empty(writes.Batches);
    }

    [Fact]
    public async Task Writes_arriving_while_one_is_in_flight_share_the_next_batch_in_order_each_with_its_own_result()
    {
        var writes = new Writes();
        var batcher = new WriteBatcher<string>(maxInFlight: 1, maxBatch: 64);
        var (first, hold) = await OccupyAsync(batcher, writes, "first");

        string[] queued = ["q1", "known-q2", "q3", "known-q4", "q5"];
        var tasks = queued.Select(i => batcher.WriteAsync(i, writes.TogetherAsync, writes.AloneAsync(i))).ToList();
        Assert.All(tasks, t => Assert.False(t.IsCompleted));
        hold.SetResult();

        Assert.True(await first);
        Assert.Equal(new[] { true, false, true, false, true }, await Task.WhenAll(tasks));
        Assert.Equal(queued, Assert.Single(writes.Batches));
        Assert.Equal(["first"], writes.Alone);
    }

    [Fact]
    public async Task A_batch_holds_at_most_the_cap_and_the_rest_follow_in_the_next()
    {
        var writes = new Writes();
        var batcher = new WriteBatcher<string>(maxInFlight: 1, maxBatch: 3);
        var (first, hold) = await OccupyAsync(batcher, writes, "first");

        var items = Enumerable.Range(1, 7).Select(i => $"w{i}").ToList();
        var tasks = items.Select(i => batcher.WriteAsync(i, writes.TogetherAsync, writes.AloneAsync(i))).ToList();
        hold.SetResult();

        Assert.True(await first);
        Assert.All(await Task.WhenAll(tasks), Assert.True);
        Assert.Equal(["w1", "w2", "w3"], writes.Batches[0]);
        Assert.Equal(["w4", "w5", "w6"], writes.Batches[1]);
        Assert.Equal(["first", "w7"], writes.Alone); // the last one queued alone, so it went alone
    }

    [Fact]
    public async Task A_failed_batch_is_written_again_one_by_one_and_only_the_bad_write_fails()
    {
        var writes = new Writes();
        var batcher = new WriteBatcher<string>(maxInFlight: 1, maxBatch: 64);
        var (first, hold) = await OccupyAsync(batcher, writes, "first");
        writes.FailBatches = new InvalidOperationException("the shared transaction failed");

        string[] queued = ["q1", "bad-q2", "known-q3", "q4"];
        var tasks = queued.Select(i => batcher.WriteAsync(i, writes.TogetherAsync, writes.AloneAsync(i))).ToList();
        hold.SetResult();

        Assert.True(await first);
        Assert.True(await tasks[0]);
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => tasks[1]);
        Assert.Equal("bad item bad-q2", error.Message);
        Assert.False(await tasks[2]);
        Assert.True(await tasks[3]);
        Assert.Equal(queued, Assert.Single(writes.Batches));
        Assert.Equal(queued.Append("first").Order(), writes.Alone.Order());

        // The batcher is free again afterwards.
        writes.FailBatches = null;
        Assert.True(await batcher.WriteAsync("later", writes.TogetherAsync, writes.AloneAsync("later")));
    }

    [Fact]
    public async Task A_write_that_fails_alone_gives_its_caller_the_exception_and_frees_the_slot()
    {
        var writes = new Writes();
        var batcher = new WriteBatcher<string>(maxInFlight: 1, maxBatch: 64);
        await Assert.ThrowsAsync<InvalidOperationException>(() => batcher.WriteAsync("bad", writes.TogetherAsync, writes.AloneAsync("bad")));
        Assert.True(await batcher.WriteAsync("good", writes.TogetherAsync, writes.AloneAsync("good")));
        Assert.Equal(["bad", "good"], writes.Alone);
    }

    [Fact]
    public async Task Two_slots_let_a_second_write_start_while_the_first_is_in_flight()
    {
        var writes = new Writes();
        var batcher = new WriteBatcher<string>(maxInFlight: 2, maxBatch: 64);
        var (first, firstHold) = await OccupyAsync(batcher, writes, "first");
        var (second, secondHold) = await OccupyAsync(batcher, writes, "second"); // would time out if it had to wait for the first

        var third = batcher.WriteAsync("third", writes.TogetherAsync, writes.AloneAsync("third"));
        Assert.False(third.IsCompleted);
        secondHold.SetResult();
        Assert.True(await second);
        Assert.True(await third);
        Assert.False(first.IsCompleted);
        firstHold.SetResult();
        Assert.True(await first);
        Assert.Equal(["first", "second", "third"], writes.Alone);
    }

    [Fact]
    public async Task When_enough_writes_wait_behind_busy_slots_they_start_at_once_as_an_extra_batch()
    {
        var writes = new Writes();
        var batcher = new WriteBatcher<string>(maxInFlight: 1, maxBatch: 64, burstInFlight: 2, burstAt: 3);
        var (first, hold) = await OccupyAsync(batcher, writes, "first");

        var waiting = new[] { "q1", "q2" }.Select(i => batcher.WriteAsync(i, writes.TogetherAsync, writes.AloneAsync(i))).ToList();
        Assert.Empty(writes.Batches); // two waiting: below the mark, they wait for the slot
        waiting.Add(batcher.WriteAsync("q3", writes.TogetherAsync, writes.AloneAsync("q3")));

        Assert.All(await Task.WhenAll(waiting).WaitAsync(TimeSpan.FromSeconds(10)), Assert.True); // while the first is still in flight
        Assert.Equal(["q1", "q2", "q3"], Assert.Single(writes.Batches));
        Assert.False(first.IsCompleted);

        // The extra slot was given back: a write arriving now waits for the regular one again.
        var late = batcher.WriteAsync("late", writes.TogetherAsync, writes.AloneAsync("late"));
        await Task.Delay(100);
        Assert.False(late.IsCompleted);
        hold.SetResult();
        Assert.True(await first);
        Assert.True(await late);
        Assert.Equal(["first", "late"], writes.Alone);
    }

    [Fact]
    public async Task An_extra_batch_that_ends_starts_no_small_batch_and_extra_slots_are_capped()
    {
        var writes = new Writes();
        var batcher = new WriteBatcher<string>(maxInFlight: 1, maxBatch: 64, burstInFlight: 2, burstAt: 2);
        var (first, hold) = await OccupyAsync(batcher, writes, "first");
        var batchHold = writes.HoldBatches = new(TaskCreationOptions.RunContinuationsAsynchronously);

        var extra = new[] { "e1", "e2" }.Select(i => batcher.WriteAsync(i, writes.TogetherAsync, writes.AloneAsync(i))).ToList();
        for (var i = 0; i < 500 && writes.BatchCount == 0; i++) await Task.Delay(10);
        Assert.Equal(["e1", "e2"], Assert.Single(writes.Batches));

        // Two slots busy (the cap): these wait even though they reach the mark.
        var capped = new[] { "c1", "c2" }.Select(i => batcher.WriteAsync(i, writes.TogetherAsync, writes.AloneAsync(i))).ToList();
        await Task.Delay(100);
        Assert.Single(writes.Batches);

        // The extra batch ends with two waiting, the mark: they go in its slot.
        writes.HoldBatches = null;
        batchHold.SetResult();
        Assert.All(await Task.WhenAll(extra), Assert.True);
        Assert.All(await Task.WhenAll(capped), Assert.True);
        Assert.Equal(["c1", "c2"], writes.Batches[1]);

        // One waiting, below the mark, when an extra batch ends: the slot is given back and the write waits for the
        // regular slot instead of going alone at once.
        batchHold = writes.HoldBatches = new(TaskCreationOptions.RunContinuationsAsynchronously);
        var again = new[] { "a1", "a2" }.Select(i => batcher.WriteAsync(i, writes.TogetherAsync, writes.AloneAsync(i))).ToList();
        for (var i = 0; i < 500 && writes.BatchCount < 3; i++) await Task.Delay(10);
        var single = batcher.WriteAsync("single", writes.TogetherAsync, writes.AloneAsync("single"));
        writes.HoldBatches = null;
        batchHold.SetResult();
        Assert.All(await Task.WhenAll(again), Assert.True);
        await Task.Delay(100);
        Assert.False(writes.Started("single"));
        hold.SetResult();
        Assert.True(await first);
        Assert.True(await single);
        Assert.Equal(["first", "single"], writes.Alone);
    }
}
