using System.Net;
using Broadsheet.Signup;
using Broadsheet.Subscribers;
using Broadsheet.Tests.Admin;
using Broadsheet.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using static Broadsheet.Tests.Subscribers.PreferencesHttp;

namespace Broadsheet.Tests.Subscribers;

/// <summary>An expired preference link offers "Email me a new link", which tells nobody who subscribes.</summary>
public abstract class PreferencesLinkTests(AppFixture app)
{
    private BroadsheetServer Server => app.Server;

    private async Task<string> AskForLinkAsync(HttpClient client, string page, string email)
    {
        using var response = await ConsoleHttp.PostFormAsync(client, page, new Dictionary<string, string> { ["email"] = email }, "/preferences/new-link");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    private Task<int> LinksQueuedAsync(string email) =>
        Server.QueryAsync(db => db.OutboundEmails.CountAsync(m => m.ToAddress == email && m.Kind == "preferences-link"));

    [Fact]
    public async Task An_expired_link_offers_a_new_one_mailed_only_to_a_known_address_with_the_same_answer_for_all()
    {
        var (email, _) = await ReaderAsync(app, "relink");
        var expired = Server.Services.GetRequiredService<SignupTokens>().ForOwnerLink(email, DateTimeOffset.UtcNow.AddSeconds(-1));
        var expiredPage = "/preferences?o=" + Uri.EscapeDataString(expired);
        using var reader = Server.CreateClient(cookies: true);

        var page = await reader.GetStringAsync(expiredPage);
        Assert.Contains("not valid any more", page);
        Assert.DoesNotContain(email, page);
        Assert.Contains("action=\"/preferences/new-link\"", page);

        var known = await AskForLinkAsync(reader, expiredPage, email);
        var link = PreferencesLink(await app.Smtp.WaitForAsync(email, m => m.Subject.Contains("link")));
        Assert.Contains($"Signed in as <strong>{email}</strong>", await reader.GetStringAsync(link));

        // An unknown address, and the known one again within ten minutes: the very same page, and no mail.
        var unknown = TestData.NewEmail("nobody");
        Assert.Equal(known, await AskForLinkAsync(reader, expiredPage, unknown));
        Assert.Equal(known, await AskForLinkAsync(reader, expiredPage, email));
        Assert.Contains("If that address is on our list", known);
        Assert.Equal(0, await LinksQueuedAsync(unknown));
        Assert.Equal(1, await LinksQueuedAsync(email));

        var invalid = WebUtility.HtmlDecode(await AskForLinkAsync(reader, expiredPage, "nobody@"));
        Assert.Contains(SeedArticle.Parse(TestEnvironment.SeedText).InvalidEmail, invalid);
    }

    [Fact]
    public async Task A_suppressed_subscriber_gets_no_link()
    {
        var (email, id) = await ReaderAsync(app, "relink-suppressed");
        await Server.QueryAsync(db => db.Subscribers.Where(s => s.Id == id).ExecuteUpdateAsync(u => u.SetProperty(s => s.Status, SubscriberStatus.Suppressed)));
        using var reader = Server.CreateClient(cookies: true);
        Assert.Contains("If that address is on our list", await AskForLinkAsync(reader, "/preferences/new-link", email));
        Assert.Equal(0, await LinksQueuedAsync(email));
    }
}

[Collection(SqliteCollection.Name)]
public sealed class PreferencesLinkTestsOnSqlite(SqliteApp app) : PreferencesLinkTests(app);

[Collection(PostgresCollection.Name)]
public sealed class PreferencesLinkTestsOnPostgres(PostgresApp app) : PreferencesLinkTests(app);

/// <summary>The new-link form shares the sign-up's per-IP limit; a reader who meets it gets the site's page, not JSON.</summary>
public sealed class PreferencesLinkRateLimitTests
{
    [Fact]
    public async Task Asking_too_often_from_one_IP_address_gets_the_too_many_requests_page()
    {
        await using var extra = await ExtraApp.StartAsync(DatabaseKind.Sqlite, new Dictionary<string, string?> { ["Signup:RateLimit:PerIpPerMinute"] = "2" }, withSmtp: false);
        using var reader = extra.Server.CreateClient(cookies: true);
        var token = await ConsoleHttp.TokenAsync(reader, "/preferences?o=expired"); // one request: the page itself is not limited
        Task<HttpResponseMessage> PostAsync() => reader.PostAsync("/preferences/new-link", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["email"] = TestData.NewEmail("flood"), ["__RequestVerificationToken"] = token,
        }));

        using (var first = await PostAsync()) Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        using (var second = await PostAsync()) Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        using var third = await PostAsync();
        Assert.Equal(HttpStatusCode.TooManyRequests, third.StatusCode);
        Assert.Equal("text/html", third.Content.Headers.ContentType?.MediaType);
        Assert.Contains("Too many requests", await third.Content.ReadAsStringAsync());
    }
}
