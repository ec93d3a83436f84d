using System.Collections.Concurrent;
using System.Diagnostics;

namespace Broadsheet.Tests.Infrastructure;

/// <summary>
/// The built app (<c>src/Broadsheet/bin/CONFIG/net10.0/Broadsheet.dll</c>) as a real OS process, for tests that must
/// kill it the hard way. Its output is kept, to explain a failure.
/// </summary>
public sealed class AppProcess : IDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();

    private AppProcess(Process process, Uri baseAddress)
    {
        _process = process;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    /// <summary>The last lines the app wrote.</summary>
    public string Output => string.Join('\n', _output.TakeLast(40));

    /// <summary>Starts the app at a free loopback port with <paramref name="settings"/> as command-line settings and waits until it answers.</summary>
    public static async Task<AppProcess> StartAsync(IDictionary<string, string> settings)
    {
        var repo = RepositoryRoot();
        var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name; // …/bin/Release/net10.0/
        var dll = Path.Combine(repo, "src", "Broadsheet", "bin", configuration, "net10.0", "Broadsheet.dll");
        if (!File.Exists(dll)) throw new FileNotFoundException("Build the app first (scripts/test does).", dll);

        var baseAddress = new Uri($"http://127.0.0.1:{SmtpSink.FreePort()}/");
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = repo, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(dll);
        start.ArgumentList.Add($"--urls={baseAddress.GetLeftPart(UriPartial.Authority)}");
        foreach (var (key, value) in settings) start.ArgumentList.Add($"--{key}={value}");
        var process = Process.Start(start)!;
        var app = new AppProcess(process, baseAddress);
        process.OutputDataReceived += (_, e) => app.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => app.Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await app.WaitUntilHealthyAsync();
        return app;
    }

    /// <summary>Kills the process and everything it started, at once, as a crash or <c>kill -9</c> would.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    public HttpClient CreateClient(string? bearer = null)
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        if (bearer is not null) client.DefaultRequestHeaders.Authorization = new("Bearer", bearer);
        return client;
    }

    private async Task WaitUntilHealthyAsync()
    {
        using var client = CreateClient();
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (_process.HasExited) throw new InvalidOperationException($"The app exited with {_process.ExitCode}:\n{Output}");
            try
            {
                if ((await client.GetAsync("/healthz")).IsSuccessStatusCode) return;
            }
            catch (HttpRequestException)
            {
            }
            if (clock.Elapsed > TimeSpan.FromSeconds(60)) throw new TimeoutException($"The app did not answer in time:\n{Output}");
            await Task.Delay(100);
        }
    }

    private void Keep(string? line)
    {
        if (line is null) return;
        _output.Enqueue(line);
        while (_output.Count > 200) _output.TryDequeue(out _);
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Broadsheet.slnx"))) return dir.FullName;
        throw new DirectoryNotFoundException("No Broadsheet.slnx above " + AppContext.BaseDirectory);
    }

    public void Dispose()
    {
        if (!_process.HasExited) Kill();
        _process.Dispose();
    }
}
