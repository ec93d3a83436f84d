using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Broadsheet.Tests.Infrastructure;
using Broadsheet.Tests.Signup;

namespace Broadsheet.Tests.Articles;

/// <summary><c>POST /api/articles</c> and <c>GET /api/articles/{id}</c>: bearer token, problem details, Location.</summary>
public abstract class ArticleApiTests(AppFixture app)
{
    private static object Valid(string headline = "A valid headline") => new
    {
        headline, section = "News", body = "First paragraph.\n\nSecond paragraph.",
        related = new[] { new { headline = "Elsewhere", section = "Analysis", url = "/articles/elsewhere" } },
    };

    [Fact]
    public async Task Posting_needs_the_admin_token()
    {
        using var anonymous = app.Server.CreateClient();
        using (var none = await anonymous.PostAsJsonAsync("/api/articles", Valid()))
            Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        anonymous.DefaultRequestHeaders.Authorization = new("Bearer", "wrong-token");
        using (var wrong = await anonymous.PostAsJsonAsync("/api/articles", Valid()))
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        using (var read = await anonymous.GetAsync("/api/articles/1"))
            Assert.Equal(HttpStatusCode.Unauthorized, read.StatusCode);
    }

    [Fact]
    public async Task Bad_fields_and_malformed_json_get_problem_details()
    {
        using var admin = app.Server.CreateClient(admin: true);
        using var bad = await admin.PostAsJsonAsync("/api/articles", new
        {
            headline = " ", body = "Text", standfirst = new string('s', 1001),
            related = new[] { new { headline = "x", section = "y", url = "javascript:alert(1)" } },
        });
        var problem = await ConsentAndApiTests.AssertProblemAsync(bad, HttpStatusCode.BadRequest, "headline");
        var errors = problem.GetProperty("errors");
        Assert.True(errors.TryGetProperty("section", out _));
        Assert.True(errors.TryGetProperty("related[0].url", out _));
        Assert.True(errors.TryGetProperty("standfirst", out _));
        Assert.False(errors.TryGetProperty("body", out _));

        foreach (var broken in new[] { "{\"headline\": ", "not json", "{\"headline\": 42}", "[]" })
        {
            using var response = await admin.PostAsync("/api/articles", new StringContent(broken, System.Text.Encoding.UTF8, "application/json"));
            await ConsentAndApiTests.AssertProblemAsync(response, HttpStatusCode.BadRequest, null);
        }
    }

    [Fact]
    public async Task Created_article_has_its_page_as_location_and_reads_back()
    {
        using var admin = app.Server.CreateClient(admin: true);
        var headline = "Council agrees budget " + Guid.NewGuid().ToString("N")[..8];
        using var created = await admin.PostAsJsonAsync("/api/articles", new
        {
            headline, section = "Politics", standfirst = " The short version. ", body = "One.\n\nTwo.", publishedAt = "2026-03-01T08:30:00Z",
            related = new[] { new { headline = "Elsewhere", section = "Analysis", url = "https://example.com/elsewhere" } },
        });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var body = await created.Content.ReadFromJsonAsync<JsonElement>();
        var url = body.GetProperty("url").GetString()!;
        Assert.Equal(url, created.Headers.Location!.ToString());
        Assert.StartsWith(app.Server.BaseAddress + "articles/", url);

        var id = body.GetProperty("id").GetInt32();
        var read = await admin.GetFromJsonAsync<JsonElement>($"/api/articles/{id}");
        Assert.Equal(headline, read.GetProperty("headline").GetString());
        Assert.Equal("Politics", read.GetProperty("section").GetString());
        Assert.Equal("The short version.", read.GetProperty("standfirst").GetString());
        Assert.Equal("One.\n\nTwo.", read.GetProperty("body").GetString());
        Assert.Equal(url, read.GetProperty("url").GetString());
        Assert.Equal(new DateTimeOffset(2026, 3, 1, 8, 30, 0, TimeSpan.Zero), read.GetProperty("publishedAt").GetDateTimeOffset());
        Assert.Equal("Analysis", read.GetProperty("related")[0].GetProperty("section").GetString());
        using (var missing = await admin.GetAsync("/api/articles/999999"))
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);

        using var reader = app.Server.CreateClient();
        using var page = await reader.GetAsync(new Uri(url).PathAndQuery);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains(headline, await page.Content.ReadAsStringAsync());
    }
}

[Collection(SqliteCollection.Name)]
public sealed class ArticleApiTestsOnSqlite(SqliteApp app) : ArticleApiTests(app);

[Collection(PostgresCollection.Name)]
public sealed class ArticleApiTestsOnPostgres(PostgresApp app) : ArticleApiTests(app);
