using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Broadsheet.Editions;
using Broadsheet.Tests.Infrastructure;
using Broadsheet.Tests.Signup;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Broadsheet.Tests.Editions;

/// <summary>
/// What readers receive: CSS inlined, per-subscriber fields encoded, links in the text part, the digest's
/// standfirst fallback, and templates kept in their sandbox (no files, no .NET objects, bounded work).
/// </summary>
public abstract class EditionRendererTests(AppFixture app)
{
    private BroadsheetServer Server => app.Server;

    [Fact]
    public async Task The_preview_has_its_css_inlined_and_a_text_part_with_every_link()
    {
        var slug = await EditionHttp.NewsletterAsync(Server);
        var article = await EditionHttp.ArticleAsync(Server, "Preview story " + Guid.NewGuid().ToString("N")[..6], standfirst: "Given standfirst.");
        var id = await EditionHttp.EditionIdAsync(Server, slug, new { subject = "Preview", preheader = "Hidden line", intro = "Read [this](https://example.com/x).", articleIds = new[] { article.Id } });
        using var api = Server.CreateClient(admin: true);

        using var html = await api.GetAsync($"/api/editions/{id}/preview?format=html");
        Assert.Equal("text/html", html.Content.Headers.ContentType!.MediaType);
        Assert.Contains("sandbox", html.Headers.GetValues("Content-Security-Policy").Single());
        var page = await html.Content.ReadAsStringAsync();
        Assert.DoesNotContain("<style", page, StringComparison.OrdinalIgnoreCase);
        Assert.Matches("<div class=\"sheet\" style=\"[^\"]*max-width: 600px", page);
        Assert.Matches("<span class=\"preheader\" style=\"[^\"]*display: none", page);
        Assert.Contains(article.Url, page);
        Assert.Contains("Given standfirst.", page);
        Assert.Contains(SampleReader.Email, page);
        Assert.DoesNotContain("%%bs:", page);

        var text = await api.GetStringAsync($"/api/editions/{id}/preview?format=text");
        Assert.Contains(article.Url, text);
        Assert.Contains("Given standfirst.", text);
        Assert.Contains(Server.BaseAddress + $"newsletters/{slug}/editions/{id}", text); // web version
        Assert.Contains("Unsubscribe: " + Server.BaseAddress + "newsletters", text);
        Assert.Contains("Manage your newsletters: " + Server.BaseAddress + "newsletters", text);
        Assert.Contains("Read [this](https://example.com/x).", text);
        Assert.DoesNotContain("<", text);

        using var bad = await api.GetAsync($"/api/editions/{id}/preview?format=pdf");
        await ConsentAndApiTests.AssertProblemAsync(bad, HttpStatusCode.BadRequest, "format");
        Assert.Equal(HttpStatusCode.NotFound, (await api.GetAsync("/api/editions/987654321/preview")).StatusCode);
    }

    [Fact]
    public async Task Subscriber_fields_are_html_encoded_in_the_html_part_and_left_as_they_are_in_the_text()
    {
        var slug = await EditionHttp.NewsletterAsync(Server);
        var templateId = await TemplateAsync(
            "<html><head><style>p { color: #123456; }</style></head><body><p title=\"{{ subscriber.name }}\">Dear {{ subscriber.name }} ({{ subscriber.email }})</p><a href=\"{{ unsubscribe_url }}\">Leave</a></body></html>",
            "Dear {{ subscriber.name }}, leave at {{ unsubscribe_url }}");
        await UseTemplateAsync(slug, templateId);
        var article = await EditionHttp.ArticleAsync(Server, "Encoding story " + Guid.NewGuid().ToString("N")[..6]);
        var id = await EditionHttp.EditionIdAsync(Server, slug, new { subject = "Encoded", articleIds = new[] { article.Id } });

        await using var scope = Server.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<Broadsheet.Data.BroadsheetDb>();
        var edition = await db.Editions.Include(e => e.Newsletter).SingleAsync(e => e.Id == id);
        var rendered = await scope.ServiceProvider.GetRequiredService<EditionRenderer>().RenderAsync(edition, CancellationToken.None);
        var reader = new EditionRecipient("o'brien+news@example.com", "<script>alert(\"x\")</script> & Co", "https://news.example/unsubscribe?t=a&n=b", "https://news.example/p");

        var html = rendered.Html(reader);
        Assert.DoesNotContain("<script>", html);
        Assert.Contains("Dear &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co", html);
        Assert.Contains("title=\"&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co\"", html);
        Assert.Contains("href=\"https://news.example/unsubscribe?t=a&amp;n=b\"", html);
        Assert.Contains("o&#x27;brien&#x2B;news@example.com", html);
        Assert.Contains("style=\"color: #123456", html);
        Assert.Equal("Dear <script>alert(\"x\")</script> & Co, leave at https://news.example/unsubscribe?t=a&n=b", rendered.Text(reader));
    }

    [Fact]
    public async Task A_digest_shows_the_standfirst_or_else_the_first_paragraph()
    {
        var slug = await EditionHttp.NewsletterAsync(Server);
        var given = await EditionHttp.ArticleAsync(Server, "With standfirst " + Guid.NewGuid().ToString("N")[..6], standfirst: "The editor’s own summary.", body: "Body opening.\n\nMore.");
        var plain = await EditionHttp.ArticleAsync(Server, "Without standfirst " + Guid.NewGuid().ToString("N")[..6],
            body: "## A heading first\n\nThe *first* paragraph,\nover two lines & with [a link](https://example.com).\n\nThe second paragraph.");
        var words = string.Join(" ", Enumerable.Range(0, 80).Select(i => $"word{i}"));
        var longer = await EditionHttp.ArticleAsync(Server, "Long opening " + Guid.NewGuid().ToString("N")[..6], body: words + "\n\nNext.");
        var id = await EditionHttp.EditionIdAsync(Server, slug, new { subject = "Standfirsts", articleIds = new[] { given.Id, plain.Id, longer.Id } });
        using var api = Server.CreateClient(admin: true);

        var text = await api.GetStringAsync($"/api/editions/{id}/preview?format=text");
        Assert.Contains("The editor’s own summary.", text);
        Assert.DoesNotContain("Body opening.", text);
        Assert.Contains("The first paragraph, over two lines & with a link.", text);
        Assert.DoesNotContain("The second paragraph.", text);
        Assert.DoesNotContain("A heading first", text);
        var cut = text.Split('\n').Single(l => l.StartsWith("word0 "));
        Assert.EndsWith("…", cut);
        Assert.InRange(cut.Length, 200, 301);
        Assert.True(words.StartsWith(cut[..^1]), "The cut is a prefix of the paragraph.");
        Assert.EndsWith(" ", words[..(cut.Length)]); // cut at a word boundary

        var html = await api.GetStringAsync($"/api/editions/{id}/preview?format=html");
        Assert.Contains("The first paragraph, over two lines &amp; with a link.", html);
    }

    [Fact]
    public async Task Templates_cannot_include_files_loop_for_ever_build_huge_text_or_reach_dotnet_objects()
    {
        Assert.False(EditionRenderer.TryParse("{% include 'appsettings.json' %}", out _, out var include));
        Assert.Contains("cannot include", include);
        Assert.False(EditionRenderer.TryParse("{% if true %}{% render '../../etc/passwd' %}{% endif %}", out _, out var render));
        Assert.Contains("cannot include", render);
        Assert.False(EditionRenderer.TryParse("{% for x in %}", out _, out var broken));
        Assert.False(string.IsNullOrEmpty(broken));

        var slug = await EditionHttp.NewsletterAsync(Server);
        var article = await EditionHttp.ArticleAsync(Server, "Sandbox story " + Guid.NewGuid().ToString("N")[..6]);
        var id = await EditionHttp.EditionIdAsync(Server, slug, new { subject = "Sandboxed", articleIds = new[] { article.Id } });
        using var api = Server.CreateClient(admin: true);

        async Task<string> TemplateError(string html)
        {
            await UseTemplateAsync(slug, await TemplateAsync(html, "text"));
            using var preview = await api.GetAsync($"/api/editions/{id}/preview");
            var problem = await ConsentAndApiTests.AssertProblemAsync(preview, HttpStatusCode.BadRequest, "template");
            return problem.GetProperty("errors").GetProperty("template")[0].GetString()!;
        }
        Assert.Contains("steps", await TemplateError("{% for i in (1..9999) %}{% for j in (1..9999) %}{{ j }}{% endfor %}{% endfor %}"));
        Assert.Contains("at most 10,000", await TemplateError("{% for i in (1..1000000000) %}{{ i }}{% endfor %}"));
        Assert.Contains("too much text", await TemplateError("{% assign s = 'ab' %}{% for i in (1..40) %}{% assign s = s | append: s %}{% endfor %}{{ s }}"));
        Assert.Contains("too much text", await TemplateError("{% assign s = 'ab' %}{% for i in (1..40) %}{% capture s %}{{ s }}{{ s }}{% endcapture %}{% endfor %}"));
        Assert.Contains("without filters", await TemplateError("Hello {{ subscriber.name | upcase }}"));
        Assert.Contains("without filters", await TemplateError("<a href=\"x?u={{ unsubscribe_url | url_encode }}\">x</a>"));
        using (var testSend = await api.PostAsJsonAsync($"/api/editions/{id}/test", new { addresses = new[] { TestData.NewEmail() } }))
            await ConsentAndApiTests.AssertProblemAsync(testSend, HttpStatusCode.BadRequest, "template");

        await UseTemplateAsync(slug, await TemplateAsync(
            "<p>[{{ edition.subject.Length }}][{{ edition.articles.first.GetType }}][{{ site.name.GetType.Assembly }}][{{ newsletter.Id }}]</p>{{ edition.subject }}", "t"));
        var page = await api.GetStringAsync($"/api/editions/{id}/preview");
        Assert.Contains("<p>[][][][]</p>Sandboxed", page);
    }

    /// <summary>Stores a template as the console would; the console pages belong to another part.</summary>
    private Task<int> TemplateAsync(string html, string text) => Server.QueryAsync(async db =>
    {
        var template = new EditionTemplate { Name = "t-" + Guid.NewGuid().ToString("N")[..10], HtmlSource = html, TextSource = text, UpdatedAt = DateTime.UtcNow };
        db.EditionTemplates.Add(template);
        await db.SaveChangesAsync();
        return template.Id;
    });

    private async Task UseTemplateAsync(string slug, int templateId)
    {
        using var api = Server.CreateClient(admin: true);
        using var response = await api.PutAsJsonAsync($"/api/newsletters/{slug}", new { templateId });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(templateId, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("templateId").GetInt32());
    }
}

[Collection(SqliteCollection.Name)]
public sealed class EditionRendererTestsOnSqlite(SqliteApp app) : EditionRendererTests(app);

[Collection(PostgresCollection.Name)]
public sealed class EditionRendererTestsOnPostgres(PostgresApp app) : EditionRendererTests(app);
