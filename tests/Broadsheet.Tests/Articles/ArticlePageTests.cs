using System.Net.Http.Json;
using System.Text.Json;
using AngleSharp.Dom;
using AngleSharp.Html.Parser;
using Broadsheet.Tests.Infrastructure;

namespace Broadsheet.Tests.Articles;

/// <summary>The article page: one h1, the publish time, the paragraphs, inline related links, the sign-up module in the body, and safe Markdown.</summary>
public abstract class ArticlePageTests(AppFixture app)
{
    private async Task<IDocument> PublishAndOpenAsync(object article)
    {
        using var admin = app.Server.CreateClient(admin: true);
        using var created = await admin.PostAsJsonAsync("/api/articles", article);
        Assert.Equal(System.Net.HttpStatusCode.Created, created.StatusCode);
        var url = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("url").GetString()!;
        using var reader = app.Server.CreateClient();
        return new HtmlParser().ParseDocument(await reader.GetStringAsync(new Uri(url).PathAndQuery));
    }

    /// <summary>The body's own paragraphs (not the related links, not the module's), in order, and where the module sits among them.</summary>
    private static (List<string> Paragraphs, int ModuleAfter) BodyParagraphs(IDocument page)
    {
        var body = page.QuerySelector(".article-body")!;
        var paragraphs = new List<string>();
        var moduleAfter = -1;
        foreach (var child in body.Children)
        {
            if (child.Id == "signup") moduleAfter = paragraphs.Count;
            else if (child.LocalName == "p" && !child.ClassList.Contains("related")) paragraphs.Add(child.TextContent.Trim());
        }
        return (paragraphs, moduleAfter);
    }

    [Fact]
    public async Task Seed_article_shows_headline_time_paragraphs_related_links_and_the_module_halfway()
    {
        var seed = SeedArticle.Parse(TestEnvironment.SeedText);
        var page = await PublishAndOpenAsync(new
        {
            headline = seed.Headline, section = "News", body = string.Join("\n\n", seed.Paragraphs), publishedAt = "2026-02-03T09:15:00Z",
            related = seed.Related.Select((r, i) => new { headline = r.Headline, section = r.Section, url = $"/articles/related-{i}" }),
        });

        Assert.Equal(seed.Headline, Assert.Single(page.QuerySelectorAll("h1")).TextContent.Trim());
        var time = page.QuerySelector("article time")!;
        Assert.Equal("2026-02-03T09:15:00Z", time.GetAttribute("datetime"));
        Assert.Contains("3 February 2026", time.TextContent);

        var (paragraphs, moduleAfter) = BodyParagraphs(page);
        Assert.Equal(seed.Paragraphs, paragraphs);
        Assert.Equal((seed.Paragraphs.Count + 1) / 2, moduleAfter);
        Assert.InRange(moduleAfter, 1, paragraphs.Count - 1); // between paragraphs, not before or after them all
        Assert.NotNull(page.QuerySelector(".article-body > #signup form[action='/signup']"));

        for (var i = 0; i < seed.Related.Count; i++)
        {
            var link = Assert.Single(page.QuerySelectorAll($".article-body a[href='/articles/related-{i}']"));
            Assert.Equal(seed.Related[i].Headline, link.TextContent.Trim());
            var label = link.ParentElement!.TextContent;
            Assert.Contains(seed.Related[i].Section, label[label.IndexOf(seed.Related[i].Headline, StringComparison.Ordinal)..]);
        }
    }

    [Fact]
    public async Task A_signup_paragraph_in_the_markdown_places_the_module()
    {
        var page = await PublishAndOpenAsync(new
        {
            headline = "Placed by hand " + Guid.NewGuid().ToString("N")[..6], section = "News",
            body = "Alpha.\n\n{{signup}}\n\nBravo.\n\nCharlie.\n\nDelta.\n\nEcho.",
        });
        var (paragraphs, moduleAfter) = BodyParagraphs(page);
        Assert.Equal(["Alpha.", "Bravo.", "Charlie.", "Delta.", "Echo."], paragraphs);
        Assert.Equal(1, moduleAfter);
        Assert.Single(page.QuerySelectorAll("#signup"));
        Assert.DoesNotContain("{{signup}}", page.Body!.TextContent);
    }

    [Fact]
    public async Task Article_content_cannot_inject_script()
    {
        var page = await PublishAndOpenAsync(new
        {
            headline = "<script>alert('h')</script> Headline " + Guid.NewGuid().ToString("N")[..6],
            section = "<b onmouseover=\"alert(1)\">News</b>",
            body = string.Join("\n\n",
                "<script>alert('body')</script>",
                "Click [me](javascript:alert(1)) or [this](JaVaScRiPt:alert(2)) or <javascript:alert(3)>.",
                "<img src=x onerror=\"alert(4)\">",
                "<div onclick=\"alert(5)\">raw block</div>",
                "Inline <span onmouseover=\"alert(6)\">raw</span> and <iframe src=\"https://evil.example\"></iframe>.",
                "![pic](javascript:alert(7)) [data](data:text/html;base64,PHNjcmlwdD5hbGVydCg4KTwvc2NyaXB0Pg==)",
                "[ref]: javascript:alert(9)\n\nA [reference][ref] link."),
            related = new[] { new { headline = "<script>alert(10)</script>", section = "<i onclick=alert(11)>x</i>", url = "/articles/ok" } },
        });

        Assert.All(page.QuerySelectorAll("script"), s => Assert.StartsWith("/", s.GetAttribute("src") ?? "inline script"));
        foreach (var element in page.QuerySelectorAll("*"))
        {
            foreach (var attribute in element.Attributes)
            {
                Assert.False(attribute.Name.StartsWith("on", StringComparison.OrdinalIgnoreCase), $"<{element.LocalName} {attribute.Name}>");
                var value = attribute.Value.Trim().ToLowerInvariant();
                Assert.False(value.StartsWith("javascript:") || value.StartsWith("data:text"), $"<{element.LocalName} {attribute.Name}=\"{attribute.Value}\">");
            }
        }
        var body = page.QuerySelector(".article-body")!;
        Assert.Empty(body.QuerySelectorAll("img[src], iframe, div:not(#signup div), b, i"));
        Assert.Contains("<script>alert('body')</script>", body.TextContent); // shown as text, not run
        Assert.Contains("<script>alert('h')</script>", Assert.Single(page.QuerySelectorAll("h1")).TextContent);
    }
}

[Collection(SqliteCollection.Name)]
public sealed class ArticlePageTestsOnSqlite(SqliteApp app) : ArticlePageTests(app);

[Collection(PostgresCollection.Name)]
public sealed class ArticlePageTestsOnPostgres(PostgresApp app) : ArticlePageTests(app);
