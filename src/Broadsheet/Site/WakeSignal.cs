namespace Broadsheet.Site;

/// <summary>
/// Wakes a background worker early when new work is stored. Losing a wake-up only delays the work until the
/// worker's next poll: the work itself is always in the database.
/// </summary>
public abstract class WakeSignal
{
    private readonly SemaphoreSlim _semaphore = new(0, 1);

    public void Notify()
    {
        // Checked first because a throw per sign-up showed up in profiles; the catch only covers the rare race.
        if (_semaphore.CurrentCount > 0) return;
        try { _semaphore.Release(); } catch (SemaphoreFullException) { }
    }

    public Task<bool> WaitAsync(TimeSpan timeout, CancellationToken ct) => _semaphore.WaitAsync(timeout, ct);
}
