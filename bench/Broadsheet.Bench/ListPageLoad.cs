using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;

namespace Broadsheet.Bench;

/// <summary>
/// The console's subscriber list as one signed-in person uses it: sequential requests mixing the first page, later
/// pages through the <c>rel="next"</c> link, an address search, a newsletter filter and the list sorted by address;
/// latency percentiles per kind and over all.
/// </summary>
public static partial class ListPageLoad
{
    private static readonly string[] Starts =
        ["/admin/subscribers", "/admin/subscribers?q=reader0999", "/admin/subscribers?newsletter=morning-briefing", "/admin/subscribers?sort=email"];

    public static async Task<int> RunAsync(Uri app, string email, string password, int requests, int warmUp)
    {
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false, CookieContainer = new CookieContainer() })
            { BaseAddress = app, Timeout = TimeSpan.FromSeconds(30) };
        await SignInAsync(http, email, password);

        var latencies = new Dictionary<string, List<double>>();
        var next = new string?[Starts.Length];
        for (var i = 0; i < warmUp + requests; i++)
        {
            // Seven kinds in turn: each start page, and a later page of the plain, the filtered and the by-address list.
            var (kind, start, later) = (i % 7) switch
            {
                0 => ("first page", 0, false), 1 => ("search q=reader0999", 1, false), 2 => ("filter newsletter", 2, false),
                3 => ("next page (after=)", 0, true), 4 => ("next page, filtered", 2, true),
                5 => ("sorted by address", 3, false), _ => ("next page, by address", 3, true),
            };
            var path = later && next[start] is { } link ? link : Starts[start];
            var clock = Stopwatch.StartNew();
            using var response = await http.GetAsync(path);
            var html = await response.Content.ReadAsStringAsync();
            var ms = clock.Elapsed.TotalMilliseconds;
            if (response.StatusCode != HttpStatusCode.OK) throw new InvalidOperationException($"{path}: {(int)response.StatusCode}");
            next[start] = NextLink().Match(html) is { Success: true } m ? WebUtility.HtmlDecode(m.Groups[1].Value) : null;
            if (i < warmUp) continue;
            (latencies.TryGetValue(kind, out var list) ? list : latencies[kind] = []).Add(ms);
        }

        foreach (var (kind, list) in latencies)
            Console.Error.WriteLine($"  {kind,-22} n={list.Count,4}  p50 {Quantile(list, 0.5),7:F1} ms  p95 {Quantile(list, 0.95),7:F1} ms  max {list.Max(),7:F1} ms");
        var all = latencies.Values.SelectMany(l => l).ToList();
        Console.WriteLine(string.Join('\t', "RESULT", "list-postgres", all.Count, Quantile(all, 0.5).ToString("F1"), Quantile(all, 0.95).ToString("F1"), all.Max().ToString("F1")));
        return 0;
    }

    private static async Task SignInAsync(HttpClient http, string email, string password)
    {
        var form = await http.GetStringAsync("/admin/signin");
        var token = AntiforgeryToken().Match(form) is { Success: true } m ? WebUtility.HtmlDecode(m.Groups[1].Value)
            : throw new InvalidOperationException("no antiforgery token on /admin/signin");
        using var body = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["Email"] = email, ["Password"] = password, ["__RequestVerificationToken"] = token,
        });
        using var response = await http.PostAsync("/admin/signin", body);
        if (response.StatusCode != HttpStatusCode.Redirect) throw new InvalidOperationException($"sign-in failed: {(int)response.StatusCode}");
    }

    private static double Quantile(List<double> values, double q)
    {
        var sorted = values.Order().ToList();
        return sorted[Math.Min(sorted.Count - 1, (int)(q * sorted.Count))];
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryToken();

    [GeneratedRegex("href=\"([^\"]+)\" rel=\"next\"")]
    private static partial Regex NextLink();
}
