using System.Net;
using System.Text.RegularExpressions;
using Broadsheet.Editions;
using Broadsheet.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Broadsheet.Tests.Editions;

/// <summary>The web version of each edition and each newsletter's public archive: who sees what, and what it shows.</summary>
public abstract partial class WebVersionTests(AppFixture app)
{
    private BroadsheetServer Server => app.Server;

    [Fact]
    public async Task The_web_version_shows_editions_that_went_out_filled_in_for_nobody()
    {
        var slug = await EditionHttp.NewsletterAsync(Server);
        var article = await EditionHttp.ArticleAsync(Server, "Web story " + Guid.NewGuid().ToString("N")[..6], standfirst: "Web standfirst & more.");
        var ids = new Dictionary<EditionStatus, long>();
        foreach (var status in Enum.GetValues<EditionStatus>())
        {
            ids[status] = await EditionHttp.EditionIdAsync(Server, slug, new { subject = $"Edition {status}", articleIds = new[] { article.Id } });
            if (status != EditionStatus.Draft) await EditionHttp.SetStatusAsync(Server, ids[status], status);
        }
        using var reader = Server.CreateClient();

        foreach (var (status, id) in ids)
        {
            using var response = await reader.GetAsync(PathOf(slug, id));
            var visible = status is EditionStatus.Sending or EditionStatus.Paused or EditionStatus.Sent;
            Assert.True(visible == (response.StatusCode == HttpStatusCode.OK), $"{status}: {response.StatusCode}");
            if (!visible) Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        }

        using var sent = await reader.GetAsync(PathOf(slug, ids[EditionStatus.Sent]));
        Assert.Contains("'unsafe-inline'", sent.Headers.GetValues("Content-Security-Policy").Single());
        var page = await sent.Content.ReadAsStringAsync();
        Assert.Contains("<h1>Edition Sent</h1>", page);
        var frame = WebUtility.HtmlDecode(SrcDoc().Match(page).Groups[1].Value);
        Assert.Contains("<base target=\"_top\">", frame);
        Assert.Contains(article.Url, frame);
        Assert.Contains("Web standfirst &amp; more.", frame);
        Assert.Contains($"sent to {EditionWebPageModel.NeutralEmail} for a subscription", frame);
        Assert.Contains($"href=\"{Server.BaseAddress}newsletters\"", frame); // unsubscribe and preferences lead to the newsletters page
        Assert.DoesNotContain("%%bs:", frame);
        Assert.DoesNotContain("@", frame);
        Assert.Contains($"href=\"/newsletters/{slug}/archive\"", page);

        Assert.Equal(HttpStatusCode.NotFound, (await reader.GetAsync(PathOf(TestData.Second, ids[EditionStatus.Sent]))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await reader.GetAsync(PathOf(slug, 987654321))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await reader.GetAsync($"/newsletters/{slug}/editions/not-a-number")).StatusCode);
    }

    [Fact]
    public async Task The_archive_lists_editions_that_went_out_newest_first_a_page_at_a_time()
    {
        var slug = await EditionHttp.NewsletterAsync(Server);
        var article = await EditionHttp.ArticleAsync(Server, "Archive story " + Guid.NewGuid().ToString("N")[..6]);
        var sent = new List<long>();
        for (var i = 0; i < ArchivePageModel.PageSize + 1; i++)
        {
            var id = await EditionHttp.EditionIdAsync(Server, slug, new { subject = $"Issue number {i:D2}", articleIds = new[] { article.Id } });
            await EditionHttp.SetStatusAsync(Server, id, EditionStatus.Sent);
            sent.Add(id);
        }
        var draft = await EditionHttp.EditionIdAsync(Server, slug, new { subject = "Unpublished draft", articleIds = new[] { article.Id } });
        using var reader = Server.CreateClient();

        var first = await reader.GetStringAsync($"/newsletters/{slug}/archive");
        var listed = EditionLink().Matches(first).Select(m => long.Parse(m.Groups[1].Value)).ToList();
        Assert.Equal(Enumerable.Reverse(sent).Take(ArchivePageModel.PageSize), listed);
        Assert.DoesNotContain("Unpublished draft", first);
        Assert.DoesNotContain(PathOf(slug, draft), first);
        Assert.Contains($"Issue number {ArchivePageModel.PageSize:D2}", first);
        Assert.Contains(DateTime.UtcNow.ToString("d MMMM yyyy", System.Globalization.CultureInfo.InvariantCulture), first);
        Assert.Contains($"href=\"/newsletters/{slug}/archive?page=2\"", first);

        var second = await reader.GetStringAsync($"/newsletters/{slug}/archive?page=2");
        Assert.Equal([sent[0]], EditionLink().Matches(second).Select(m => long.Parse(m.Groups[1].Value)));
        Assert.Contains($"href=\"/newsletters/{slug}/archive\"", second);

        Assert.Contains($"href=\"/newsletters/{slug}/archive\"", await reader.GetStringAsync("/newsletters"));
        Assert.Equal(HttpStatusCode.NotFound, (await reader.GetAsync("/newsletters/no-such-newsletter/archive")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await reader.GetAsync($"/newsletters/{slug}/archive?page=0")).StatusCode);
    }

    [Fact]
    public async Task A_private_newsletter_has_neither_archive_nor_web_versions()
    {
        var slug = await EditionHttp.NewsletterAsync(Server, isPublic: false);
        var article = await EditionHttp.ArticleAsync(Server, "Private story " + Guid.NewGuid().ToString("N")[..6]);
        var id = await EditionHttp.EditionIdAsync(Server, slug, new { subject = "Members only", articleIds = new[] { article.Id } });
        await EditionHttp.SetStatusAsync(Server, id, EditionStatus.Sent);
        using var reader = Server.CreateClient();

        Assert.Equal(HttpStatusCode.NotFound, (await reader.GetAsync(PathOf(slug, id))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await reader.GetAsync($"/newsletters/{slug}/archive")).StatusCode);
        Assert.DoesNotContain($"/newsletters/{slug}/archive", await reader.GetStringAsync("/newsletters"));
    }

    [Fact]
    public async Task A_broken_template_leaves_the_page_without_the_message_rather_than_failing()
    {
        var slug = await EditionHttp.NewsletterAsync(Server);
        var article = await EditionHttp.ArticleAsync(Server, "Broken template story " + Guid.NewGuid().ToString("N")[..6]);
        var id = await EditionHttp.EditionIdAsync(Server, slug, new { subject = "Broken later", articleIds = new[] { article.Id } });
        await EditionHttp.SetStatusAsync(Server, id, EditionStatus.Sent);
        var template = await Server.QueryAsync(async db =>
        {
            var t = new EditionTemplate { Name = "broken-" + Guid.NewGuid().ToString("N")[..8], HtmlSource = "{{ subscriber.email | upcase }}", TextSource = "t" };
            db.EditionTemplates.Add(t);
            await db.SaveChangesAsync();
            return t.Id;
        });
        await Server.QueryAsync(db => db.Newsletters.Where(n => n.Slug == slug).ExecuteUpdateAsync(u => u.SetProperty(n => n.TemplateId, template)));
        using var reader = Server.CreateClient();

        using var response = await reader.GetAsync(PathOf(slug, id));
        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        var page = await response.Content.ReadAsStringAsync();
        Assert.Contains("<h1>Broken later</h1>", page);
        Assert.Contains("cannot be shown", page);
        Assert.DoesNotContain("srcdoc", page);
    }

    [Fact]
    public async Task A_page_kept_in_memory_still_goes_when_its_edition_is_cancelled()
    {
        var slug = await EditionHttp.NewsletterAsync(Server);
        var article = await EditionHttp.ArticleAsync(Server, "Kept story " + Guid.NewGuid().ToString("N")[..6]);
        var id = await EditionHttp.EditionIdAsync(Server, slug, new { subject = "Kept then cancelled", articleIds = new[] { article.Id } });
        await EditionHttp.SetStatusAsync(Server, id, EditionStatus.Paused);
        using var reader = Server.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await reader.GetAsync(PathOf(slug, id))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await reader.GetAsync(PathOf(slug, id))).StatusCode); // from memory

        await EditionHttp.SetStatusAsync(Server, id, EditionStatus.Cancelled);
        Assert.Equal(HttpStatusCode.NotFound, (await reader.GetAsync(PathOf(slug, id))).StatusCode);
    }

    private static string PathOf(string slug, long id) => $"/newsletters/{slug}/editions/{id}";

    [GeneratedRegex("srcdoc=\"([^\"]*)\"")]
    private static partial Regex SrcDoc();

    [GeneratedRegex("href=\"/newsletters/[^/\"]+/editions/(\\d+)\"")]
    private static partial Regex EditionLink();
}

[Collection(SqliteCollection.Name)]
public sealed class WebVersionTestsOnSqlite(SqliteApp app) : WebVersionTests(app);

[Collection(PostgresCollection.Name)]
public sealed class WebVersionTestsOnPostgres(PostgresApp app) : WebVersionTests(app);
