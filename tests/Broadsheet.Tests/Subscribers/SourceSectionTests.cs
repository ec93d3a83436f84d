using System.Net.Http.Json;
using System.Text.Json;
using Broadsheet.Tests.Infrastructure;
using Broadsheet.Tests.Signup;

namespace Broadsheet.Tests.Subscribers;

/// <summary>A sign-up from an article page remembers the article's section, and the subscriber filter finds it by section.</summary>
public abstract class SourceSectionTests(AppFixture app)
{
    [Fact]
    public async Task Signing_up_on_an_article_records_its_section_for_the_filter()
    {
        var section = "Section" + Guid.NewGuid().ToString("N")[..8];
        using var admin = app.Server.CreateClient(admin: true);
        using var published = await admin.PostAsJsonAsync("/api/articles", new { headline = "Our own test story " + section, section, body = "One.\n\nTwo." });
        published.EnsureSuccessStatusCode();
        var path = new Uri((await published.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("url").GetString()!).AbsolutePath;

        var fromArticle = TestData.NewEmail("section");
        var elsewhere = TestData.NewEmail("nosection");
        using var reader = app.Server.CreateClient();
        using (await SignupHttp.PostFormAsync(reader, fromArticle, extra: new Dictionary<string, string> { ["returnUrl"] = path })) { }
        using (await SignupHttp.PostFormAsync(reader, elsewhere)) { }

        Assert.Equal(section, Assert.Single((await AddressRecords.LoadAsync(app.Server, fromArticle)).Subscribers).SourceSection);
        Assert.Null(Assert.Single((await AddressRecords.LoadAsync(app.Server, elsewhere)).Subscribers).SourceSection);

        var csv = await admin.GetStringAsync($"/api/subscribers/export?section={section}");
        var rows = csv.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).ToList();
        Assert.StartsWith(fromArticle + ",", Assert.Single(rows));
        Assert.Contains($",{section},", rows[0]);
    }
}

[Collection(SqliteCollection.Name)]
public sealed class SourceSectionTestsOnSqlite(SqliteApp app) : SourceSectionTests(app);

[Collection(PostgresCollection.Name)]
public sealed class SourceSectionTestsOnPostgres(PostgresApp app) : SourceSectionTests(app);
