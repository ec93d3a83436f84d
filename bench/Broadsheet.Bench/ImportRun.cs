using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json;

namespace Broadsheet.Bench;

/// <summary>What one import measured: rows per second from the upload's first byte to status done, and the app's memory.</summary>
public sealed record ImportResult(string Name, long Rows, long Rejected, double Seconds, long StartKb, long PeakKb, string Status)
{
    public double PerSecond => Rows / Seconds;

    /// <summary>RESULT, name, rows/s, seconds, rows, rejected, app RSS at start (MB), peak RSS (MB), status.</summary>
    public string ToLine() => string.Join('\t', "RESULT", Name, PerSecond.ToString("F0"), Seconds.ToString("F1"), Rows, Rejected,
        StartKb / 1024, PeakKb / 1024, Status);
}

/// <summary>One import through the app's API: POST the CSV as the body, then poll the job until it is over or the time is up.</summary>
public static class ImportRun
{
    public static async Task<ImportResult> RunAsync(string name, Uri app, string token, string file, string newsletter, int appPid, TimeSpan limit)
    {
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = app, Timeout = limit };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        await using var memory = new ResidentMemory(appPid);
        var clock = Stopwatch.StartNew();

        long id;
        await using (var stream = File.OpenRead(file))
        {
            using var content = new StreamContent(stream, 128 * 1024);
            content.Headers.ContentType = new MediaTypeHeaderValue("text/csv");
            using var response = await http.PostAsync($"/api/subscribers/import?newsletter={newsletter}&status=active&fileName={Path.GetFileName(file)}", content);
            var body = await response.Content.ReadAsStringAsync();
            if ((int)response.StatusCode != 202) throw new InvalidOperationException($"import refused: {(int)response.StatusCode} {body}");
            id = JsonDocument.Parse(body).RootElement.GetProperty("id").GetInt64();
        }

        var status = "running";
        long processed = 0, rejected = 0;
        while (clock.Elapsed < limit)
        {
            using var job = JsonDocument.Parse(await http.GetStringAsync($"/api/imports/{id}"));
            status = job.RootElement.GetProperty("status").GetString()!;
            processed = job.RootElement.GetProperty("processed").GetInt64();
            rejected = job.RootElement.GetProperty("rejected").GetInt64();
            if (status is "done" or "failed" or "cancelled") break;
            await Task.Delay(100);
        }
        var seconds = clock.Elapsed.TotalSeconds;
        if (status != "done") status = status is "failed" or "cancelled" ? status : $"unfinished after {limit.TotalSeconds:F0} s ({processed} rows)";
        return new ImportResult(name, processed, rejected, seconds, memory.StartKb, Math.Max(memory.PeakKb, memory.ReadKb()), status);
    }
}
