using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Broadsheet.Admin;
using Broadsheet.Editions;
using Broadsheet.Tests.Infrastructure;
using Broadsheet.Tests.Signup;

namespace Broadsheet.Tests.Editions;

/// <summary>The editions API end to end: create, digest, read with progress, list, edit, schedule, test send, roles.</summary>
public abstract class EditionApiTests(AppFixture app)
{
    private BroadsheetServer Server => app.Server;

    [Fact]
    public async Task An_edition_of_chosen_articles_is_created_and_reads_back_with_its_articles_and_progress()
    {
        var slug = await EditionHttp.NewsletterAsync(Server);
        var first = await EditionHttp.ArticleAsync(Server, "Bridge reopens " + Guid.NewGuid().ToString("N")[..6], section: "Transport");
        var second = await EditionHttp.ArticleAsync(Server, "Library extends hours " + Guid.NewGuid().ToString("N")[..6], section: "Culture");
        using var api = Server.CreateClient(admin: true);

        using var created = await api.PostAsJsonAsync($"/api/newsletters/{slug}/editions", new
        {
            subject = "  Tuesday’s briefing ", preheader = "Two stories", intro = "Good *morning*.", articleIds = new[] { second.Id, first.Id },
        });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var body = await created.Content.ReadFromJsonAsync<JsonElement>();
        var id = body.GetProperty("id").GetInt64();
        Assert.Equal($"/api/editions/{id}", created.Headers.Location!.OriginalString);

        var read = await api.GetFromJsonAsync<JsonElement>($"/api/editions/{id}");
        Assert.Equal("Tuesday’s briefing", read.GetProperty("subject").GetString());
        Assert.Equal("Two stories", read.GetProperty("preheader").GetString());
        Assert.Equal("Good *morning*.", read.GetProperty("intro").GetString());
        Assert.Equal(slug, read.GetProperty("newsletter").GetString());
        Assert.Equal("draft", read.GetProperty("status").GetString());
        Assert.False(read.GetProperty("digest").GetBoolean());
        var articles = read.GetProperty("articles").EnumerateArray().ToList();
        Assert.Equal([second.Id, first.Id], articles.Select(a => a.GetProperty("id").GetInt32()));
        Assert.Equal("Culture", articles[0].GetProperty("section").GetString());
        Assert.Equal(second.Url, articles[0].GetProperty("url").GetString());
        Assert.StartsWith("Library extends hours", articles[0].GetProperty("headline").GetString());
        Assert.Equal(Server.BaseAddress + $"newsletters/{slug}/editions/{id}", read.GetProperty("webUrl").GetString());
        var progress = read.GetProperty("progress");
        foreach (var count in new[] { "audience", "queued", "sent", "failed", "skipped", "remaining" })
            Assert.Equal(0, progress.GetProperty(count).GetInt64());
        Assert.Equal(JsonValueKind.Null, progress.GetProperty("estimatedFinish").ValueKind);

        using (var missing = await api.GetAsync("/api/editions/987654321"))
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        using (var unknown = await api.PostAsJsonAsync("/api/newsletters/no-such-newsletter/editions", new { subject = "x", articleIds = new[] { first.Id } }))
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task A_digest_holds_only_what_was_published_since_the_last_edition_and_nothing_new_is_refused()
    {
        var slug = await EditionHttp.NewsletterAsync(Server);
        var old = await EditionHttp.ArticleAsync(Server, "Older story " + Guid.NewGuid().ToString("N")[..6]);
        using var api = Server.CreateClient(admin: true);
        var lastWeek = await EditionHttp.EditionIdAsync(Server, slug, new { subject = "Last week", articleIds = new[] { old.Id } });
        (await api.PostAsync($"/api/editions/{lastWeek}/send", null)).EnsureSuccessStatusCode();
        var a = await EditionHttp.ArticleAsync(Server, "New story A " + Guid.NewGuid().ToString("N")[..6]);
        var b = await EditionHttp.ArticleAsync(Server, "New story B " + Guid.NewGuid().ToString("N")[..6]);
        // A draft may never go out, so it does not move the digest's window.
        await EditionHttp.EditionAsync(Server, slug, new { subject = "Unsent draft", articleIds = new[] { a.Id } });

        var digest = await EditionHttp.EditionAsync(Server, slug, new { subject = "This week", digest = true });
        Assert.True(digest.GetProperty("digest").GetBoolean());
        Assert.Equal([b.Id, a.Id], digest.GetProperty("articles").EnumerateArray().Select(x => x.GetProperty("id").GetInt32()));
        Assert.NotEqual(JsonValueKind.Null, digest.GetProperty("digestUntil").ValueKind);
        (await api.PostAsync($"/api/editions/{digest.GetProperty("id").GetInt64()}/send", null)).EnsureSuccessStatusCode();

        using var empty = await api.PostAsJsonAsync($"/api/newsletters/{slug}/editions", new { subject = "Again", digest = true });
        await ConsentAndApiTests.AssertProblemAsync(empty, HttpStatusCode.BadRequest, "digest");
    }

    [Fact]
    public async Task Bad_input_gets_problem_details_naming_the_field_and_creates_nothing()
    {
        var slug = await EditionHttp.NewsletterAsync(Server);
        var article = await EditionHttp.ArticleAsync(Server, "Validation story " + Guid.NewGuid().ToString("N")[..6]);
        using var api = Server.CreateClient(admin: true);
        var path = $"/api/newsletters/{slug}/editions";

        async Task Refused(object body, string field)
        {
            using var response = await api.PostAsJsonAsync(path, body);
            await ConsentAndApiTests.AssertProblemAsync(response, HttpStatusCode.BadRequest, field);
        }
        await Refused(new { subject = " ", articleIds = new[] { article.Id } }, "subject");
        await Refused(new { subject = new string('s', 301), articleIds = new[] { article.Id } }, "subject");
        await Refused(new { subject = "No articles" }, "articleIds");
        await Refused(new { subject = "Unknown article", articleIds = new[] { 99999999 } }, "articleIds");
        await Refused(new { subject = "Both", articleIds = new[] { article.Id }, digest = true }, "articleIds");
        await Refused(new { subject = "Segment", articleIds = new[] { article.Id }, segmentId = 99999999 }, "segment");
        await Refused(new { subject = "Past", articleIds = new[] { article.Id }, scheduledAt = "2020-01-01T06:00:00Z" }, "scheduledAt");
        await Refused(new { subject = "No zone", articleIds = new[] { article.Id }, scheduledAt = DateTime.UtcNow.AddDays(1).ToString("yyyy-MM-ddTHH:mm:ss") }, "scheduledAt");
        await Refused(new { subject = "Garbage", articleIds = new[] { article.Id }, scheduledAt = "tomorrow" }, "scheduledAt");
        using (var notJson = await api.PostAsync(path, new StringContent("{\"subject\": ", System.Text.Encoding.UTF8, "application/json")))
            await ConsentAndApiTests.AssertProblemAsync(notJson, HttpStatusCode.BadRequest, null);

        var list = await api.GetFromJsonAsync<JsonElement>($"/api/newsletters/{slug}/editions");
        Assert.Equal(0, list.GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task Viewers_read_editions_but_only_editors_write_and_strangers_get_nothing()
    {
        var slug = await EditionHttp.NewsletterAsync(Server);
        var article = await EditionHttp.ArticleAsync(Server, "Roles story " + Guid.NewGuid().ToString("N")[..6]);
        var id = await EditionHttp.EditionIdAsync(Server, slug, new { subject = "Roles", articleIds = new[] { article.Id } });
        using var viewer = await EditionHttp.TokenClientAsync(Server, AdminRole.Viewer);
        using var editor = await EditionHttp.TokenClientAsync(Server, AdminRole.Editor);
        using var stranger = Server.CreateClient();

        Assert.Equal(HttpStatusCode.OK, (await viewer.GetAsync($"/api/editions/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await viewer.GetAsync($"/api/newsletters/{slug}/editions")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await viewer.GetAsync($"/api/editions/{id}/preview")).StatusCode);
        var body = new { subject = "Mine now", articleIds = new[] { article.Id } };
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.PostAsJsonAsync($"/api/newsletters/{slug}/editions", body)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.PutAsJsonAsync($"/api/editions/{id}", body)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.PostAsJsonAsync($"/api/editions/{id}/schedule", new { at = DateTime.UtcNow.AddDays(1).ToString("O") })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.PostAsJsonAsync($"/api/editions/{id}/test", new { addresses = new[] { TestData.NewEmail() } })).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await stranger.GetAsync($"/api/editions/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await stranger.PostAsJsonAsync($"/api/newsletters/{slug}/editions", body)).StatusCode);

        Assert.Equal(HttpStatusCode.Created, (await editor.PostAsJsonAsync($"/api/newsletters/{slug}/editions", body)).StatusCode);
        var read = await viewer.GetFromJsonAsync<JsonElement>($"/api/editions/{id}");
        Assert.Equal("Roles", read.GetProperty("subject").GetString());
    }

    [Fact]
    public async Task Drafts_change_and_schedule_but_an_edition_that_is_sending_is_left_alone()
    {
        var slug = await EditionHttp.NewsletterAsync(Server);
        var article = await EditionHttp.ArticleAsync(Server, "Put story " + Guid.NewGuid().ToString("N")[..6]);
        var other = await EditionHttp.ArticleAsync(Server, "Other story " + Guid.NewGuid().ToString("N")[..6]);
        var id = await EditionHttp.EditionIdAsync(Server, slug, new { subject = "Draft", articleIds = new[] { article.Id } });
        using var api = Server.CreateClient(admin: true);

        using (var put = await api.PutAsJsonAsync($"/api/editions/{id}", new { subject = "Changed", articleIds = new[] { other.Id, article.Id } }))
        {
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
            var changed = await put.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal("Changed", changed.GetProperty("subject").GetString());
            Assert.Equal([other.Id, article.Id], changed.GetProperty("articles").EnumerateArray().Select(a => a.GetProperty("id").GetInt32()));
        }
        using (var bad = await api.PutAsJsonAsync($"/api/editions/{id}", new { subject = "", articleIds = new[] { article.Id } }))
            await ConsentAndApiTests.AssertProblemAsync(bad, HttpStatusCode.BadRequest, "subject");

        using (var past = await api.PostAsJsonAsync($"/api/editions/{id}/schedule", new { at = DateTime.UtcNow.AddMinutes(-1).ToString("O") }))
            await ConsentAndApiTests.AssertProblemAsync(past, HttpStatusCode.BadRequest, "at");
        var at = DateTimeOffset.UtcNow.AddDays(2).ToOffset(TimeSpan.FromHours(2));
        using (var scheduled = await api.PostAsJsonAsync($"/api/editions/{id}/schedule", new { at = at.ToString("yyyy-MM-ddTHH:mm:sszzz") }))
        {
            Assert.Equal(HttpStatusCode.OK, scheduled.StatusCode);
            var edition = await scheduled.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal("scheduled", edition.GetProperty("status").GetString());
            Assert.Equal(at.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss"), edition.GetProperty("scheduledAt").GetDateTime().ToString("yyyy-MM-ddTHH:mm:ss"));
        }
        Assert.Equal(HttpStatusCode.OK, (await api.PutAsJsonAsync($"/api/editions/{id}", new { subject = "Still editable", articleIds = new[] { article.Id } })).StatusCode);
        using (var unscheduled = await api.PostAsync($"/api/editions/{id}/unschedule", null))
            Assert.Equal("draft", (await unscheduled.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString());
        using (var again = await api.PostAsync($"/api/editions/{id}/unschedule", null))
            await ConsentAndApiTests.AssertProblemAsync(again, HttpStatusCode.Conflict, null);

        await EditionHttp.StartAsync(Server, id);
        using (var put = await api.PutAsJsonAsync($"/api/editions/{id}", new { subject = "Too late", articleIds = new[] { article.Id } }))
            await ConsentAndApiTests.AssertProblemAsync(put, HttpStatusCode.Conflict, null);
        using (var schedule = await api.PostAsJsonAsync($"/api/editions/{id}/schedule", new { at = DateTime.UtcNow.AddDays(1).ToString("O") }))
            await ConsentAndApiTests.AssertProblemAsync(schedule, HttpStatusCode.Conflict, null);
        var read = await api.GetFromJsonAsync<JsonElement>($"/api/editions/{id}");
        Assert.Equal("Still editable", read.GetProperty("subject").GetString());
        Assert.Contains(read.GetProperty("status").GetString(), new[] { "sending", "sent" }); // no audience: the engine may be done already
        Assert.Equal(HttpStatusCode.NotFound, (await api.PutAsJsonAsync("/api/editions/987654321", new { subject = "x" })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await api.PostAsJsonAsync("/api/editions/987654321/schedule", new { at = DateTime.UtcNow.AddDays(1).ToString("O") })).StatusCode);
    }

    [Fact]
    public async Task Editions_are_listed_newest_first_a_page_at_a_time()
    {
        var slug = await EditionHttp.NewsletterAsync(Server);
        var article = await EditionHttp.ArticleAsync(Server, "List story " + Guid.NewGuid().ToString("N")[..6]);
        var ids = new List<long>();
        for (var i = 0; i < 3; i++) ids.Add(await EditionHttp.EditionIdAsync(Server, slug, new { subject = $"Edition {i}", articleIds = new[] { article.Id } }));
        using var api = Server.CreateClient(admin: true);

        var first = await api.GetFromJsonAsync<JsonElement>($"/api/newsletters/{slug}/editions?limit=2");
        Assert.Equal([ids[2], ids[1]], first.GetProperty("items").EnumerateArray().Select(e => e.GetProperty("id").GetInt64()));
        Assert.Equal("Edition 2", first.GetProperty("items")[0].GetProperty("subject").GetString());
        var second = await api.GetFromJsonAsync<JsonElement>(first.GetProperty("next").GetString());
        Assert.Equal([ids[0]], second.GetProperty("items").EnumerateArray().Select(e => e.GetProperty("id").GetInt64()));
        Assert.Equal(JsonValueKind.Null, second.GetProperty("next").ValueKind);
        using var bad = await api.GetAsync($"/api/newsletters/{slug}/editions?limit=0");
        await ConsentAndApiTests.AssertProblemAsync(bad, HttpStatusCode.BadRequest, "limit");
        Assert.Equal(HttpStatusCode.NotFound, (await api.GetAsync("/api/newsletters/no-such-newsletter/editions")).StatusCode);
    }

    [Fact]
    public async Task A_test_send_arrives_marked_Test_with_the_editions_articles()
    {
        var slug = await EditionHttp.NewsletterAsync(Server);
        var article = await EditionHttp.ArticleAsync(Server, "Test-send story " + Guid.NewGuid().ToString("N")[..6], standfirst: "What the story says, briefly.");
        var id = await EditionHttp.EditionIdAsync(Server, slug, new { subject = "Proof copy", articleIds = new[] { article.Id } });
        using var api = Server.CreateClient(admin: true);
        var (one, two) = (TestData.NewEmail("proof"), TestData.NewEmail("proof"));

        using (var invalid = await api.PostAsJsonAsync($"/api/editions/{id}/test", new { addresses = new[] { one, "not-an-address" } }))
        {
            var problem = await ConsentAndApiTests.AssertProblemAsync(invalid, HttpStatusCode.BadRequest, "addresses");
            Assert.Contains("not-an-address", problem.GetProperty("errors").GetProperty("addresses")[0].GetString());
        }
        using (var tooMany = await api.PostAsJsonAsync($"/api/editions/{id}/test", new { addresses = Enumerable.Range(0, 11).Select(_ => TestData.NewEmail()).ToArray() }))
            await ConsentAndApiTests.AssertProblemAsync(tooMany, HttpStatusCode.BadRequest, "addresses");
        using (var none = await api.PostAsJsonAsync($"/api/editions/{id}/test", new { addresses = Array.Empty<string>() }))
            await ConsentAndApiTests.AssertProblemAsync(none, HttpStatusCode.BadRequest, "addresses");

        using (var sent = await api.PostAsJsonAsync($"/api/editions/{id}/test", new { addresses = new[] { one, two } }))
            Assert.Equal(HttpStatusCode.Accepted, sent.StatusCode);
        foreach (var address in new[] { one, two })
        {
            var message = await app.Smtp.WaitForAsync(address);
            Assert.Equal("[Test] Proof copy", message.Subject);
            Assert.Contains(article.Url, message.HtmlBody);
            Assert.Contains("What the story says, briefly.", message.HtmlBody);
            Assert.Contains(article.Url, message.TextBody);
            Assert.Contains(address, message.TextBody);
        }
        Assert.Empty(app.Smtp.To("not-an-address"));
    }
}

[Collection(SqliteCollection.Name)]
public sealed class EditionApiTestsOnSqlite(SqliteApp app) : EditionApiTests(app);

[Collection(PostgresCollection.Name)]
public sealed class EditionApiTestsOnPostgres(PostgresApp app) : EditionApiTests(app);
