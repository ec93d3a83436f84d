namespace Broadsheet.Bench;

/// <summary>Samples another process's resident memory (VmRSS in /proc) every 50 ms and keeps the peak.</summary>
public sealed class ResidentMemory : IAsyncDisposable
{
    private readonly int _pid;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public long PeakKb { get; private set; }
    public long StartKb { get; }

    public ResidentMemory(int pid)
    {
        _pid = pid;
        StartKb = PeakKb = ReadKb();
        _loop = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                PeakKb = Math.Max(PeakKb, ReadKb());
                try { await Task.Delay(50, _stop.Token); } catch (OperationCanceledException) { }
            }
        });
    }

    public long ReadKb()
    {
        try
        {
            var line = File.ReadLines($"/proc/{_pid}/status").FirstOrDefault(l => l.StartsWith("VmRSS:"));
            return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
        }
        catch (IOException) { return 0; }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }
}
