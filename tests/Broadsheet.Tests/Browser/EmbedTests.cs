using System.Text.Json;
using Broadsheet.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Broadsheet.Tests.Browser;

/// <summary>An app that lets the publisher's other site, http://publisher.test, embed the module.</summary>
public sealed class EmbeddingApp() : ConfiguredApp(DatabaseKind.Sqlite, new() { ["Signup:AllowedOrigins:0"] = EmbedTests.Publisher });

/// <summary>The documented snippet (docs/embedding.md) on another site, and the origin rules around it.</summary>
public sealed class EmbedTests(EmbeddingApp app) : IClassFixture<EmbeddingApp>
{
    public const string Publisher = "http://publisher.test";
    private const string Stranger = "http://stranger.test";

    [Fact]
    public async Task The_snippet_on_an_allowed_site_embeds_the_module_and_signs_up_through_the_iframe()
    {
        await using var reader = await Reader.OpenAsync(app.Server, javaScript: true, openArticle: false);
        await ServeHostPageAsync(reader.Page, Publisher);
        var frame = reader.Page.FrameLocator("iframe");
        var seed = reader.Seed;

        await Expect(frame.GetByRole(AriaRole.Heading, new() { Name = seed.Heading, Exact = true })).ToBeVisibleAsync();
        var email = TestData.NewEmail("embedded");
        await frame.GetByLabel(seed.EmailLabel, new() { Exact = true }).FillAsync(email);
        await frame.GetByRole(AriaRole.Button, new() { Name = seed.Submit, Exact = true }).ClickAsync();
        await Expect(frame.GetByText(seed.SuccessTitle, new() { Exact = true })).ToBeVisibleAsync();
        Assert.Equal($"{Publisher}/", reader.Page.Url);

        await Reader.ConfirmationLinkAsync(app.Smtp, email, "Analysis Weekly");
        // The iframe follows the module's height, so nothing is cut off.
        var height = await reader.Page.Locator("iframe").EvaluateAsync<double>("f => f.getBoundingClientRect().height");
        var content = await frame.Locator("section[data-signup]").EvaluateAsync<double>("s => s.getBoundingClientRect().bottom");
        Assert.True(height >= content, $"iframe {height}px is shorter than the module's {content}px");
    }

    [Fact]
    public async Task Only_configured_origins_may_frame_the_module_or_call_the_API_from_a_browser()
    {
        await using var reader = await Reader.OpenAsync(app.Server, javaScript: true, openArticle: false);
        var allowed = TestData.NewEmail("allowed-origin");
        var refused = TestData.NewEmail("refused-origin");

        await ServeHostPageAsync(reader.Page, Publisher);
        Assert.Equal("success", await FetchStateAsync(reader.Page, allowed));

        var embed = reader.Page.WaitForResponseAsync(r => r.Url.Contains("/embed/signup?"));
        await ServeHostPageAsync(reader.Page, Stranger);
        await embed;
        Assert.Equal("refused", await FetchStateAsync(reader.Page, refused));
        await Expect(reader.Page.FrameLocator("iframe").GetByText(reader.Seed.Heading)).ToHaveCountAsync(0);

        Assert.True(await app.Server.QueryAsync(db => db.Subscribers.AnyAsync(s => s.Email == allowed)));
        Assert.False(await app.Server.QueryAsync(db => db.Subscribers.AnyAsync(s => s.Email == refused)));
    }

    /// <summary>Serves a page at <paramref name="origin"/> carrying the documented snippet, and opens it.</summary>
    private async Task ServeHostPageAsync(IPage page, string origin)
    {
        var appOrigin = app.Server.BaseAddress.ToString().TrimEnd('/');
        var html = $"""
            <!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Publisher</title></head>
            <body><h1>Another site of the publisher</h1>
            <script src="{appOrigin}/embed/signup.js" data-newsletter="{TestData.Second}" async></script>
            <p>More of the page.</p></body></html>
            """;
        await page.RouteAsync($"{origin}/**", route => route.FulfillAsync(new() { Status = 200, ContentType = "text/html", Body = html }));
        await page.GotoAsync($"{origin}/");
    }

    /// <summary>Calls the JSON API from the host page as its own script would; "refused" when the browser or the server refuses.</summary>
    private async Task<string> FetchStateAsync(IPage page, string email)
    {
        var url = new Uri(app.Server.BaseAddress, "/api/public/subscriptions").ToString();
        var body = JsonSerializer.Serialize(new { email, newsletters = new[] { TestData.Second } });
        return await page.EvaluateAsync<string>("""
            async ([url, body]) => {
              try {
                const r = await fetch(url, { method: "POST", headers: { "Content-Type": "application/json" }, body });
                return r.ok ? (await r.json()).state : "refused";
              } catch { return "refused"; }
            }
            """, new[] { url, body });
    }
}
