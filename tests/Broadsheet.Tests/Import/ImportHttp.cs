using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Broadsheet.Tests.Infrastructure;

namespace Broadsheet.Tests.Import;

/// <summary>Imports through <c>POST /api/subscribers/import</c> and <c>GET /api/imports/{id}</c>.</summary>
public static class ImportHttp
{
    public static Task<HttpResponseMessage> PostAsync(HttpClient api, byte[] file, string query) =>
        api.PostAsync($"/api/subscribers/import?{query}", new ByteArrayContent(file) { Headers = { ContentType = new("text/csv") } });

    public static byte[] Utf8(string text, bool bom = false) => [.. (bom ? Encoding.UTF8.GetPreamble() : []), .. Encoding.UTF8.GetBytes(text)];

    /// <summary>Posts a file, expects it accepted, and waits for the import to end; returns its final status.</summary>
    public static async Task<JsonElement> ImportAsync(HttpClient api, byte[] file, string query)
    {
        using var response = await PostAsync(api, file, query);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        var started = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal($"/api/imports/{started.GetProperty("id").GetInt64()}", response.Headers.Location!.OriginalString);
        return await WaitAsync(api, started.GetProperty("id").GetInt64());
    }

    public static async Task<JsonElement> WaitAsync(HttpClient api, long id)
    {
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (true)
        {
            var status = await api.GetFromJsonAsync<JsonElement>($"/api/imports/{id}");
            if (status.GetProperty("status").GetString() is not ("queued" or "running")) return status;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Import {id} did not finish.");
            await Task.Delay(100);
        }
    }

    /// <summary>The rejected-rows report as (line, value, reason) triples.</summary>
    public static async Task<List<(long Line, string Value, string Reason)>> ReportAsync(HttpClient api, JsonElement status)
    {
        var csv = await api.GetStringAsync(status.GetProperty("reportUrl").GetString());
        var lines = csv.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("line,value,reason", lines[0]);
        return [.. lines.Skip(1).Select(l => l.Split(',')).Select(p => (long.Parse(p[0]), p[1], p[2]))];
    }

    /// <summary>A CSV of <paramref name="rows"/> generated rows TAG-N@example.com; every 1000th (N % 1000 == 999) is invalid.</summary>
    public static byte[] Generated(string tag, int rows)
    {
        var text = new StringBuilder("email,name,plan\n");
        for (var i = 0; i < rows; i++)
            text.Append(i % 1000 == 999 ? $"broken-{i}-at-nowhere" : $"{tag}-{i}@example.com").Append(",Reader ").Append(i).Append(",basic\n");
        return Encoding.UTF8.GetBytes(text.ToString());
    }
}
