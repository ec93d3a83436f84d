using System.Net;
using System.Text;

namespace Broadsheet.Bench;

/// <summary>Concurrent clients signing distinct new addresses up through the app's public JSON API.</summary>
public static class SignupLoad
{
    public static async Task<LoadResult> RunAsync(string name, Uri app, string newsletter, int clients, TimeSpan warmUp, TimeSpan measure)
    {
        using var http = new HttpClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = clients,
            UseProxy = false,
            UseCookies = false,
            AllowAutoRedirect = false,
        }) { BaseAddress = app, Timeout = TimeSpan.FromSeconds(30) };
        var run = Guid.NewGuid().ToString("N")[..8];

        return await LoadRun.RunAsync(name, clients, warmUp, measure, async (client, seq) =>
        {
            var body = $$"""{"email":"su-{{run}}-{{client}}-{{seq}}@bench.example.com","newsletters":["{{newsletter}}"]}""";
            using var content = new StringContent(body, Encoding.UTF8, "application/json");
            using var response = await http.PostAsync("/api/public/subscriptions", content);
            var text = await response.Content.ReadAsStringAsync();
            return response.StatusCode == HttpStatusCode.OK && text.Contains("\"success\"")
                ? null
                : $"{(int)response.StatusCode} {Shorten(text)}";
        });
    }

    private static string Shorten(string text) => text.Length > 200 ? text[..200] : text;
}
