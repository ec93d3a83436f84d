using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Broadsheet.Bench;

/// <summary>What one edition's send measured: messages per second from "send" to status sent, the message size, and the app's memory.</summary>
public sealed record SendResult(string Name, long Sent, long Failed, double Seconds, int MessageBytes, long StartKb, long PeakKb, string Status)
{
    public double PerSecond => Sent / Seconds;

    /// <summary>RESULT, name, msgs/s, seconds, sent, failed, app RSS at start (MB), peak RSS (MB), status, approximate message KB.</summary>
    public string ToLine() => string.Join('\t', "RESULT", Name, PerSecond.ToString("F0"), Seconds.ToString("F1"), Sent, Failed,
        StartKb / 1024, PeakKb / 1024, Status, MessageBytes / 1024);
}

/// <summary>
/// One edition through the app's API: publishes articles enough for a message of about 20 KB, creates the edition,
/// starts the send and polls its progress until it is sent or the time is up.
/// </summary>
public static class SendRun
{
    public static async Task<SendResult> RunAsync(string name, Uri app, string token, string newsletter, int articles, int appPid, TimeSpan limit)
    {
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = app, Timeout = TimeSpan.FromMinutes(2) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);

        var ids = new List<int>();
        for (var i = 0; i < articles; i++) ids.Add(await PublishAsync(http, name, i));
        var created = await PostAsync(http, $"/api/newsletters/{newsletter}/editions", new
        {
            subject = $"Benchmark edition {name}",
            preheader = "What the benchmark sends: a digest-sized edition with a standfirst per story.",
            intro = "Good morning. These are the stories the benchmark put in this edition, each with its section label and standfirst.",
            articleIds = ids,
        });
        var id = created.GetProperty("id").GetInt64();
        var html = await http.GetStringAsync($"/api/editions/{id}/preview?format=html");
        var text = await http.GetStringAsync($"/api/editions/{id}/preview?format=text");
        var bytes = Encoding.UTF8.GetByteCount(html) + Encoding.UTF8.GetByteCount(text) + 1500; // + headers and MIME structure

        await using var memory = new ResidentMemory(appPid);
        var clock = Stopwatch.StartNew();
        await PostAsync(http, $"/api/editions/{id}/send", new { });
        string status = "sending";
        long sent = 0, failed = 0;
        while (clock.Elapsed < limit)
        {
            using var doc = JsonDocument.Parse(await http.GetStringAsync($"/api/editions/{id}"));
            var root = doc.RootElement;
            var progress = root.TryGetProperty("progress", out var p) ? p : root;
            status = (root.TryGetProperty("status", out var s) ? s : progress.GetProperty("status")).GetString()!;
            sent = progress.GetProperty("sent").GetInt64();
            failed = progress.GetProperty("failed").GetInt64();
            if (status is "sent" or "cancelled" or "paused") break;
            await Task.Delay(100);
        }
        var seconds = clock.Elapsed.TotalSeconds;
        if (status != "sent") status = $"{status} after {seconds:F0} s ({sent} sent)";
        return new SendResult(name, sent, failed, seconds, bytes, memory.StartKb, Math.Max(memory.PeakKb, memory.ReadKb()), status);
    }

    private static async Task<int> PublishAsync(HttpClient http, string run, int i)
    {
        var paragraph = "The council's transport committee met again on Tuesday to weigh the costs of the harbour tunnel, " +
                        "and the engineers' report ran to three hundred pages. ";
        var article = await PostAsync(http, "/api/articles", new
        {
            headline = $"Story {i + 1} of the {run} edition: what the committee decided and why it matters",
            section = (i % 3) switch { 0 => "News", 1 => "Analysis", _ => "Opinion" },
            standfirst = string.Concat(Enumerable.Repeat(paragraph, 3)).Trim(),
            body = string.Join("\n\n", Enumerable.Repeat(paragraph, 6)),
        });
        return article.GetProperty("id").GetInt32();
    }

    private static async Task<JsonElement> PostAsync(HttpClient http, string path, object body)
    {
        using var response = await http.PostAsJsonAsync(path, body);
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"POST {path}: {(int)response.StatusCode} {text}");
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }
}
