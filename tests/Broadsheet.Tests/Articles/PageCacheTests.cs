using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Broadsheet.Tests.Infrastructure;

namespace Broadsheet.Tests.Articles;

/// <summary>
/// The front page and article pages come from the output cache, which runs before the rest of the pipeline: a cached
/// page keeps its security headers, a published article shows at once, and errors and personal pages are never cached.
/// </summary>
public abstract class PageCacheTests(AppFixture app)
{
    private static bool FromCache(HttpResponseMessage response) => response.Headers.Age is not null;

    private async Task<string> PublishAsync(string headline)
    {
        using var admin = app.Server.CreateClient(admin: true);
        using var created = await admin.PostAsJsonAsync("/api/articles", new { headline, section = "News", body = "One.\n\nTwo." });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        return new Uri((await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("url").GetString()!).PathAndQuery;
    }

    [Fact]
    public async Task An_article_page_served_again_comes_from_the_cache_with_its_security_headers()
    {
        var path = await PublishAsync("Cached twice " + Guid.NewGuid().ToString("N")[..6]);
        using var reader = app.Server.CreateClient();
        using var first = await reader.GetAsync(path);
        using var second = await reader.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.False(FromCache(first));
        Assert.True(FromCache(second));
        Assert.Equal(await first.Content.ReadAsStringAsync(), await second.Content.ReadAsStringAsync());
        foreach (var response in new[] { first, second })
        {
            Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
            Assert.Equal("strict-origin-when-cross-origin", response.Headers.GetValues("Referrer-Policy").Single());
            Assert.Contains("default-src 'self'", response.Headers.GetValues("Content-Security-Policy").Single());
        }
    }

    [Fact]
    public async Task A_published_article_is_on_the_cached_front_page_at_once()
    {
        using var reader = app.Server.CreateClient();
        (await reader.GetAsync("/")).Dispose();
        using (var cached = await reader.GetAsync("/")) Assert.True(FromCache(cached));

        var headline = "Fresh on the front " + Guid.NewGuid().ToString("N")[..6];
        await PublishAsync(headline);
        using var front = await reader.GetAsync("/");
        Assert.False(FromCache(front));
        Assert.Contains(headline, await front.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_missing_article_is_not_cached_and_shows_the_error_page()
    {
        using var reader = app.Server.CreateClient();
        var path = "/articles/not-here-" + Guid.NewGuid().ToString("N")[..6];
        using var first = await reader.GetAsync(path);
        using var second = await reader.GetAsync(path);
        Assert.Equal(HttpStatusCode.NotFound, second.StatusCode);
        Assert.False(FromCache(second));
        Assert.Contains("<h1", await second.Content.ReadAsStringAsync()); // the site's error page, not an empty body
    }

    [Fact]
    public async Task A_page_showing_a_sign_up_result_is_not_cached()
    {
        var path = await PublishAsync("Personal result " + Guid.NewGuid().ToString("N")[..6]);
        using var reader = app.Server.CreateClient();
        (await reader.GetAsync(path + "?signup=failed")).Dispose();
        using var again = await reader.GetAsync(path + "?signup=failed");
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.False(FromCache(again));
    }

    [Fact]
    public async Task Other_pages_and_the_api_are_not_cached()
    {
        using var reader = app.Server.CreateClient();
        foreach (var path in new[] { "/newsletters", "/healthz" })
        {
            (await reader.GetAsync(path)).Dispose();
            using var again = await reader.GetAsync(path);
            Assert.Equal(HttpStatusCode.OK, again.StatusCode);
            Assert.False(FromCache(again), path);
        }
    }
}

[Collection(SqliteCollection.Name)]
public sealed class PageCacheTestsOnSqlite(SqliteApp app) : PageCacheTests(app);

[Collection(PostgresCollection.Name)]
public sealed class PageCacheTestsOnPostgres(PostgresApp app) : PageCacheTests(app);
