using Broadsheet.Signup;
using Broadsheet.Tests.Infrastructure;

namespace Broadsheet.Tests.Signup;

/// <summary>
/// The browser's <c>BroadsheetSignup.normalize</c>, on a real article page in Chromium, gives for every row of
/// email-addresses.tsv what the table says and what the server's rule says.
/// </summary>
[Collection(SqliteCollection.Name)]
public sealed class EmailAddressParityTests(SqliteApp app)
{
    [Fact]
    public async Task Browser_and_server_normalise_every_row_alike()
    {
        var (_, url, _) = await TestData.PublishSeedAsync(app.Server);
        await using var context = await Infrastructure.Browser.NewContextAsync(javaScript: true);
        var page = await context.NewPageAsync();
        await page.GotoAsync(new Uri(app.Server.BaseAddress, url).ToString());

        var cases = EmailAddressTable.Cases;
        // Inputs travel as UTF-16 code units so that lone surrogates and controls reach the page unchanged.
        var units = cases.Select(c => c.Input.Select(ch => (int)ch).ToArray()).ToArray();
        var results = await page.EvaluateAsync<string?[]>(
            """
            units => {
              const section = document.querySelector("[data-signup]");
              return units.map(u => window.BroadsheetSignup.normalize(section, String.fromCharCode(...u)));
            }
            """, units);

        Assert.Equal(cases.Count, results.Length);
        var failures = new List<string>();
        for (var i = 0; i < cases.Count; i++)
        {
            var server = EmailAddressRule.TryNormalize(cases[i].Input, out var normalized) ? normalized : null;
            if (results[i] != cases[i].Expected || results[i] != server)
                failures.Add($"{cases[i]}: table {cases[i].Expected ?? "INVALID"}, browser {results[i] ?? "INVALID"}, server {server ?? "INVALID"}");
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }
}
