using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using Broadsheet.Signup;
using Broadsheet.Site;
using Broadsheet.Subscribers;
using Broadsheet.Tests.Infrastructure;
using Broadsheet.Tests.Signup;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;
using static Broadsheet.Tests.Subscribers.PreferencesHttp;

namespace Broadsheet.Tests.Subscribers;

/// <summary>
/// The unsubscribe and preference links over HTTP: the links in emails sent before the compact tokens still work,
/// and a changed token, a token of the other kind or one sealed with another site's key opens nothing and ends nothing.
/// </summary>
public abstract class LinkTokenTests(AppFixture app)
{
    private const string NotValid = "This unsubscribe link is not valid.";
    private const string Expired = "This link is not valid any more.";
    private BroadsheetServer Server => app.Server;
    private SignupTokens Tokens => Server.Services.GetRequiredService<SignupTokens>();

    private async Task<(string Email, long SubscriptionId)> ReaderAsync(string tag)
    {
        var (email, _) = await PreferencesHttp.ReaderAsync(app, tag);
        return (email, Assert.Single((await AddressRecords.LoadAsync(Server, email)).Subscriptions).Id);
    }

    private async Task<HttpStatusCode> OneClickAsync(string token)
    {
        using var client = Server.CreateClient();
        using var response = await client.PostAsync(OneClickUnsubscribe.Link(token), new FormUrlEncodedContent(new Dictionary<string, string> { ["List-Unsubscribe"] = "One-Click" }));
        return response.StatusCode;
    }

    private Task<string> PageAsync(string path) => PreferencesHttp.PageAsync(Server, path);

    private async Task<string?> RedirectAsync(string path)
    {
        using var client = Server.CreateClient();
        using var response = await client.GetAsync(path);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        return response.Headers.Location?.OriginalString;
    }

    private static string SignedIn(string email) => $"Signed in as <strong>{email}</strong>";

    private async Task<SubscriptionStatus> StatusAsync(string email) => Assert.Single((await AddressRecords.LoadAsync(Server, email)).Subscriptions).Status;

    [Fact]
    public async Task Links_minted_by_Data_Protection_in_emails_already_sent_still_work()
    {
        var (email, id) = await ReaderAsync("old-links");
        var provider = Server.Services.GetRequiredService<IDataProtectionProvider>();
        var oldUnsubscribe = provider.CreateProtector("Broadsheet.Unsubscribe.v1").Protect(id.ToString(CultureInfo.InvariantCulture));
        var oldOwner = provider.CreateProtector("Broadsheet.Signup.OwnerLink.v1").ToTimeLimitedDataProtector().Protect(email, SignupTokens.OwnerLinkLifetime);
        Assert.StartsWith("CfDJ8", oldUnsubscribe); // what Data Protection's tokens look like, unlike ours
        Assert.DoesNotContain("CfDJ8", Tokens.ForUnsubscribe(id) + Tokens.ForOwnerLink(email));

        Assert.Contains(SignedIn(email), await PageAsync(PublicLinks.PreferencesPath(oldOwner)));
        Assert.Contains(Expired, await PageAsync(PublicLinks.PreferencesPath(PreferencesHttp.Expired(Server, "Broadsheet.Signup.OwnerLink.v1", oldOwner))));
        var unsubscribePage = await PageAsync(PublicLinks.UnsubscribePath(oldUnsubscribe));
        Assert.Contains(email, unsubscribePage);
        Assert.DoesNotContain(NotValid, unsubscribePage);

        Assert.Equal(HttpStatusCode.NotFound, await OneClickAsync(oldUnsubscribe[..^3] + (oldUnsubscribe[^3] == 'A' ? 'B' : 'A') + oldUnsubscribe[^2..]));
        Assert.Equal(SubscriptionStatus.Active, await StatusAsync(email));
        Assert.Equal(HttpStatusCode.OK, await OneClickAsync(oldUnsubscribe));
        Assert.Equal(SubscriptionStatus.Unsubscribed, await StatusAsync(email));
    }

    [Fact]
    public async Task A_token_with_any_character_changed_opens_no_page_and_unsubscribes_nobody()
    {
        var (email, id) = await ReaderAsync("changed");
        var unsubscribe = Tokens.ForUnsubscribe(id);
        var owner = Tokens.ForOwnerLink(email);
        Assert.Contains(SignedIn(email), await PageAsync(PublicLinks.PreferencesPath(owner)));
        Assert.Contains(email, await PageAsync(PublicLinks.UnsubscribePath(unsubscribe)));

        for (var i = 0; i < unsubscribe.Length; i++)
            Assert.Equal(HttpStatusCode.NotFound, await OneClickAsync(Changed(unsubscribe, i)));
        Assert.Contains(NotValid, await PageAsync(PublicLinks.UnsubscribePath(Changed(unsubscribe, unsubscribe.Length / 2))));
        for (var i = 0; i < owner.Length; i++)
            Assert.Contains(Expired, await PageAsync(PublicLinks.PreferencesPath(Changed(owner, i))));
        Assert.Equal(SubscriptionStatus.Active, await StatusAsync(email));
    }

    [Fact]
    public async Task A_token_of_the_other_kind_or_of_another_sites_key_opens_no_page_and_unsubscribes_nobody()
    {
        var (email, id) = await ReaderAsync("other-kind");
        using var otherSite = new CompactLinkTokens(RandomNumberGenerator.GetBytes(32));

        Assert.Equal(HttpStatusCode.NotFound, await OneClickAsync(Tokens.ForOwnerLink(email)));
        Assert.Contains(NotValid, await PageAsync(PublicLinks.UnsubscribePath(Tokens.ForOwnerLink(email))));
        Assert.Contains(Expired, await PageAsync(PublicLinks.PreferencesPath(Tokens.ForUnsubscribe(id))));

        Assert.Equal(HttpStatusCode.NotFound, await OneClickAsync(otherSite.Unsubscribe(id)));
        Assert.Contains(NotValid, await PageAsync(PublicLinks.UnsubscribePath(otherSite.Unsubscribe(id))));
        Assert.Contains(Expired, await PageAsync(PublicLinks.PreferencesPath(otherSite.OwnerLink(email, DateTimeOffset.UtcNow.AddDays(1)))));
        // The newsletters page proves ownership with the same link: ours passes, the other site's does not.
        Assert.StartsWith(PublicLinks.NewslettersPath() + "?t=", await RedirectAsync(PublicLinks.NewslettersOwnerPath(Tokens.ForOwnerLink(email))));
        Assert.Equal(PublicLinks.NewslettersPath(), await RedirectAsync(PublicLinks.NewslettersOwnerPath(otherSite.OwnerLink(email, DateTimeOffset.UtcNow.AddDays(1)))));
        Assert.Equal(SubscriptionStatus.Active, await StatusAsync(email));
    }

    /// <summary>The token with its character at <paramref name="index"/> replaced by another URL-safe one.</summary>
    private static string Changed(string token, int index) => token[..index] + (token[index] == 'x' ? 'y' : 'x') + token[(index + 1)..];
}

[Collection(SqliteCollection.Name)]
public sealed class LinkTokenTestsOnSqlite(SqliteApp app) : LinkTokenTests(app);

[Collection(PostgresCollection.Name)]
public sealed class LinkTokenTestsOnPostgres(PostgresApp app) : LinkTokenTests(app);
