using System.Diagnostics;

namespace Broadsheet.Bench;

/// <summary>What one closed-loop run measured: completed operations per second and latency percentiles.</summary>
/// <remarks><paramref name="Completed"/> counts every operation that finished, warm-up included, to divide resources used over the whole run by.</remarks>
public sealed record LoadResult(string Name, int Clients, double Seconds, long Ok, long Errors, double PerSecond, double P50Ms, double P99Ms, long Completed, string? FirstError)
{
    /// <summary>One tab-separated line that bench/run reads; the human summary goes to stderr.</summary>
    public string ToLine() => string.Join('\t', "RESULT", Name, PerSecond.ToString("F0"), P50Ms.ToString("F2"), P99Ms.ToString("F2"), Ok, Errors, Completed);
}

/// <summary>
/// Runs <c>clients</c> loops that each start the next operation as soon as the last one finished, for a warm-up and then
/// a bounded measured window; only operations started and finished inside the window count.
/// </summary>
public static class LoadRun
{
    /// <summary>An operation for one client: <paramref name="client"/> and a per-client sequence number; returns an error text or null.</summary>
    public delegate Task<string?> Operation(int client, long sequence);

    public static async Task<LoadResult> RunAsync(string name, int clients, TimeSpan warmUp, TimeSpan measure, Operation operation)
    {
        var clock = Stopwatch.StartNew();
        long start = (long)(warmUp.TotalSeconds * Stopwatch.Frequency), end = start + (long)(measure.TotalSeconds * Stopwatch.Frequency);
        var latencies = new List<long>[clients];
        var errors = new long[clients];
        var completed = new long[clients];
        string? firstError = null;

        async Task Loop(int client)
        {
            var mine = latencies[client] = new List<long>(1 << 14);
            for (long seq = 0; clock.ElapsedTicks < end; seq++)
            {
                var began = clock.ElapsedTicks;
                string? error;
                try { error = await operation(client, seq); }
                catch (Exception ex) { error = ex.GetBaseException().Message; }
                var finished = clock.ElapsedTicks;
                completed[client]++;
                if (began < start || finished > end) continue;
                if (error is null) mine.Add(finished - began);
                else
                {
                    errors[client]++;
                    Interlocked.CompareExchange(ref firstError, error, null);
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, clients).Select(c => Task.Run(() => Loop(c))));

        var all = latencies.SelectMany(l => l).Order().ToArray();
        double Ms(double quantile) => all.Length == 0 ? double.NaN : all[Math.Min(all.Length - 1, (int)(quantile * all.Length))] * 1000.0 / Stopwatch.Frequency;
        var seconds = measure.TotalSeconds;
        return new LoadResult(name, clients, seconds, all.Length, errors.Sum(), all.Length / seconds, Ms(0.50), Ms(0.99), completed.Sum(), firstError);
    }
}
