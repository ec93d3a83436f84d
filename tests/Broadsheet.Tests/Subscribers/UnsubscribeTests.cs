using System.Net;
using System.Text.RegularExpressions;
using Broadsheet.Signup;
using Broadsheet.Subscribers;
using Broadsheet.Tests.Infrastructure;
using Broadsheet.Tests.Signup;
using Microsoft.Extensions.DependencyInjection;

namespace Broadsheet.Tests.Subscribers;

/// <summary>Unsubscribe links, RFC 8058 one-click, and the reader's preference page choices.</summary>
public abstract partial class UnsubscribeTests(AppFixture app)
{
    /// <summary>An address with an active subscription to the default newsletter; returns its subscription id.</summary>
    private async Task<(string Email, long SubscriptionId)> ActiveReaderAsync()
    {
        var email = TestData.NewEmail("unsub");
        using var client = app.Server.CreateClient(cookies: true);
        Assert.Equal("success", await SignupHttp.SignUpAsync(client, email));
        Assert.Contains("is confirmed", await SignupHttp.ConfirmAsync(client, SignupHttp.ConfirmLink(await app.Smtp.WaitForAsync(email))));
        var records = await AddressRecords.LoadAsync(app.Server, email);
        return (email, Assert.Single(records.Subscriptions).Id);
    }

    private string UnsubscribeToken(long subscriptionId) => app.Server.Services.GetRequiredService<SignupTokens>().ForUnsubscribe(subscriptionId);

    [Fact]
    public async Task The_unsubscribe_page_changes_nothing_on_open_and_unsubscribes_on_confirm()
    {
        var (email, id) = await ActiveReaderAsync();
        using var client = app.Server.CreateClient(cookies: true);
        var url = "/unsubscribe?t=" + Uri.EscapeDataString(UnsubscribeToken(id));

        var page = await client.GetStringAsync(url);
        Assert.Contains("Confirm", page);
        Assert.Equal(SubscriptionStatus.Active, Assert.Single((await AddressRecords.LoadAsync(app.Server, email)).Subscriptions).Status);

        var antiforgery = AntiforgeryField().Match(page).Groups[1].Value;
        using var post = await client.PostAsync(url, new FormUrlEncodedContent(new Dictionary<string, string> { ["__RequestVerificationToken"] = antiforgery }));
        Assert.Equal(HttpStatusCode.OK, post.StatusCode);
        Assert.Contains("will no longer receive", await post.Content.ReadAsStringAsync());

        var records = await AddressRecords.LoadAsync(app.Server, email);
        Assert.Equal(SubscriptionStatus.Unsubscribed, Assert.Single(records.Subscriptions).Status);
        Assert.NotNull(Assert.Single(records.Consents).WithdrawnAt);

        Assert.Contains("not valid", await client.GetStringAsync("/unsubscribe?t=forged"));
    }

    [Theory]
    [InlineData("urlencoded")]
    [InlineData("multipart")]
    public async Task One_click_unsubscribe_works_without_cookies_and_never_redirects(string encoding)
    {
        var (email, id) = await ActiveReaderAsync();
        using var client = app.Server.CreateClient(); // no cookie jar: mail providers send none
        HttpContent body = encoding == "multipart"
            ? new MultipartFormDataContent { { new StringContent("One-Click"), "List-Unsubscribe" } }
            : new FormUrlEncodedContent(new Dictionary<string, string> { ["List-Unsubscribe"] = "One-Click" });
        using var response = await client.PostAsync(OneClickUnsubscribe.Link(UnsubscribeToken(id)), body);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Null(response.Headers.Location);
        var records = await AddressRecords.LoadAsync(app.Server, email);
        Assert.Equal(SubscriptionStatus.Unsubscribed, Assert.Single(records.Subscriptions).Status);
        Assert.NotNull(Assert.Single(records.Consents).WithdrawnAt);

        // Repeating it is harmless; a wrong body or a forged token changes nothing.
        using var again = await client.PostAsync(OneClickUnsubscribe.Link(UnsubscribeToken(id)),
            new FormUrlEncodedContent(new Dictionary<string, string> { ["List-Unsubscribe"] = "One-Click" }));
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        using var wrongBody = await client.PostAsync(OneClickUnsubscribe.Link(UnsubscribeToken(id)),
            new FormUrlEncodedContent(new Dictionary<string, string> { ["List-Unsubscribe"] = "yes" }));
        Assert.Equal(HttpStatusCode.BadRequest, wrongBody.StatusCode);
        using var forged = await client.PostAsync(OneClickUnsubscribe.Link("forged"),
            new FormUrlEncodedContent(new Dictionary<string, string> { ["List-Unsubscribe"] = "One-Click" }));
        Assert.Equal(HttpStatusCode.NotFound, forged.StatusCode);
    }

    [Fact]
    public async Task The_preference_page_subscribes_unsubscribes_and_unsubscribes_from_everything()
    {
        var (email, _) = await ActiveReaderAsync();
        var owner = app.Server.Services.GetRequiredService<SignupTokens>().ForOwnerLink(email);
        using var client = app.Server.CreateClient(cookies: true);
        var url = "/preferences?o=" + Uri.EscapeDataString(owner);

        async Task<string> PostAsync(string handler, Dictionary<string, string> fields)
        {
            var page = await client.GetStringAsync(url);
            fields["__RequestVerificationToken"] = AntiforgeryField().Match(page).Groups[1].Value;
            using var response = await client.PostAsync($"{url}&handler={handler}", new FormUrlEncodedContent(fields));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return await response.Content.ReadAsStringAsync();
        }

        // The link proves the reader owns the address: a newsletter chosen here is active at once, with its consent.
        Assert.Contains("Subscribed to", await PostAsync("Subscribe", new() { ["newsletter"] = TestData.Second }));
        var records = await AddressRecords.LoadAsync(app.Server, email);
        var second = Assert.Single(records.Subscriptions, s => s.Newsletter.Slug == TestData.Second);
        Assert.Equal(SubscriptionStatus.Active, second.Status);
        Assert.Contains(records.Consents, c => c.SubscriptionId == second.Id && c.Wording.Contains("preference page") && c.ConfirmedAt is not null);

        Assert.Contains("Unsubscribed.", await PostAsync("Unsubscribe", new() { ["subscription"] = second.Id.ToString() }));
        Assert.Equal(SubscriptionStatus.Unsubscribed, (await AddressRecords.LoadAsync(app.Server, email)).Subscriptions.Single(s => s.Id == second.Id).Status);

        Assert.Contains("unsubscribed from everything", await PostAsync("UnsubscribeAll", new()));
        records = await AddressRecords.LoadAsync(app.Server, email);
        Assert.All(records.Subscriptions, s => Assert.Equal(SubscriptionStatus.Unsubscribed, s.Status));
        Assert.Equal(SubscriberStatus.Unsubscribed, Assert.Single(records.Subscribers).Status);
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();
}

[Collection(SqliteCollection.Name)]
public sealed class UnsubscribeTestsOnSqlite(SqliteApp app) : UnsubscribeTests(app);

[Collection(PostgresCollection.Name)]
public sealed class UnsubscribeTestsOnPostgres(PostgresApp app) : UnsubscribeTests(app);
