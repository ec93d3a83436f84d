using System.Net.Http.Json;
using System.Text.Json;
using Broadsheet.Signup;
using Broadsheet.Site;
using Broadsheet.Subscribers;
using Broadsheet.Tests.Infrastructure;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;

namespace Broadsheet.Tests.Signup;

/// <summary>
/// The confirmation and "more newsletters" links over HTTP: the Data Protection forms in emails already sent and pages
/// already open still work, and the compact "more newsletters" token lasts an hour and is read by nothing else, nor is
/// anything else read as one.
/// </summary>
public abstract class SignupLinkTokenTests(AppFixture app)
{
    private const string LinkExpired = "That link has expired.";
    private const string PreferencesExpired = "This link is not valid any more.";
    private BroadsheetServer Server => app.Server;
    private SignupTokens Tokens => Server.Services.GetRequiredService<SignupTokens>();

    private static string SigningUpAs(string email) => $"Signing up as <strong>{email}</strong>";

    private Task<string> PageAsync(string path) => Subscribers.PreferencesHttp.PageAsync(Server, path);

    /// <summary>Adds <see cref="TestData.Second"/> with the page's token in place of the address, as the newsletters page's form does.</summary>
    private async Task<string> AddSecondAsync(string token)
    {
        using var client = Server.CreateClient();
        using var response = await SignupHttp.PostFormAsync(client, "", TestData.Second, json: true, extra: new Dictionary<string, string> { ["t"] = token });
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("state").GetString()!;
    }

    [Fact]
    public async Task Confirmation_and_more_newsletters_links_minted_by_Data_Protection_still_work()
    {
        var email = TestData.NewEmail("old-forms");
        using var client = Server.CreateClient(cookies: true);
        Assert.Equal("success", await SignupHttp.SignUpAsync(client, email));
        var nonce = Assert.Single((await AddressRecords.LoadAsync(Server, email)).Consents).Nonce!;
        var provider = Server.Services.GetRequiredService<IDataProtectionProvider>();
        var oldConfirm = provider.CreateProtector("Broadsheet.Signup.Confirm.v1").ToTimeLimitedDataProtector().Protect(nonce, TimeSpan.FromHours(48));
        var oldMore = provider.CreateProtector("Broadsheet.Signup.MoreNewsletters.v1").ToTimeLimitedDataProtector().Protect(email, SignupTokens.MoreNewslettersLifetime);
        Assert.StartsWith("CfDJ8", oldConfirm); // what Data Protection's tokens look like, unlike ours
        Assert.StartsWith("CfDJ8", oldMore);
        Assert.DoesNotContain("CfDJ8", Tokens.ForConfirmation(nonce) + Tokens.ForMoreNewsletters(email));

        Assert.Contains(LinkExpired, await PageAsync(PublicLinks.NewslettersPath(Subscribers.PreferencesHttp.Expired(Server, "Broadsheet.Signup.MoreNewsletters.v1", oldMore))));
        Assert.Contains(SigningUpAs(email), await PageAsync(PublicLinks.NewslettersPath(oldMore)));
        Assert.Equal("success", await AddSecondAsync(oldMore));
        Assert.Contains("is confirmed", await SignupHttp.ConfirmAsync(client, "http://localhost" + PublicLinks.ConfirmPath(oldConfirm)));

        var records = await AddressRecords.LoadAsync(Server, email);
        Assert.Equal(2, records.Subscriptions.Count);
        Assert.Equal(SubscriptionStatus.Active, Assert.Single(records.Subscriptions, s => s.ConfirmedAt is not null).Status);
    }

    [Fact]
    public async Task A_more_newsletters_link_lasts_an_hour_and_no_changed_expired_or_other_kind_of_token_reads_as_one()
    {
        var email = TestData.NewEmail("more-link");
        using var client = Server.CreateClient();
        using var form = await SignupHttp.PostFormAsync(client, email, json: true);
        var moreUrl = (await form.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("moreUrl").GetString()!;
        Assert.Matches("^/newsletters\\?t=[A-Za-z0-9_-]+$", moreUrl); // the token as it is, URL-safe
        var token = moreUrl[(moreUrl.IndexOf("?t=", StringComparison.Ordinal) + 3)..];
        using var compact = new CompactLinkTokens(Server.Services.GetRequiredService<LinkKey>().Loaded);
        var now = DateTimeOffset.UtcNow;
        Assert.Equal(email, compact.ReadMoreNewsletters(token, now.AddMinutes(59)));
        Assert.Null(compact.ReadMoreNewsletters(token, now.AddHours(1).AddSeconds(1)));
        Assert.Contains(SigningUpAs(email), await PageAsync(moreUrl));

        // Tokens of every other kind, minted with the site's own key and carrying the very same address.
        var later = now.AddHours(1);
        var others = new[] { compact.Confirmation(email, later), compact.OwnerLink(email, later), Tokens.ForUnsubscribe(Assert.Single((await AddressRecords.LoadAsync(Server, email)).Subscriptions).Id) };
        var changed = Enumerable.Range(0, token.Length).Select(i => token[..i] + (token[i] == 'x' ? 'y' : 'x') + token[(i + 1)..]);
        foreach (var bad in changed.Concat(others).Append(compact.MoreNewsletters(email, now.AddSeconds(-1))).Append("guess"))
        {
            var page = await PageAsync(PublicLinks.NewslettersPath(bad));
            Assert.Contains(LinkExpired, page);
            Assert.DoesNotContain(SigningUpAs(email), page);
        }
        // The preference page reads owner links only, and the form takes the place of an address from this kind only.
        foreach (var bad in new[] { others[0], token })
            Assert.Contains(PreferencesExpired, await PageAsync(PublicLinks.PreferencesPath(bad)));
        foreach (var bad in others)
            Assert.NotEqual("success", await AddSecondAsync(bad));
        Assert.Single((await AddressRecords.LoadAsync(Server, email)).Subscriptions);
        Assert.Equal("success", await AddSecondAsync(token));
        Assert.Equal(2, (await AddressRecords.LoadAsync(Server, email)).Subscriptions.Count);
    }
}

[Collection(SqliteCollection.Name)]
public sealed class SignupLinkTokenTestsOnSqlite(SqliteApp app) : SignupLinkTokenTests(app);

[Collection(PostgresCollection.Name)]
public sealed class SignupLinkTokenTestsOnPostgres(PostgresApp app) : SignupLinkTokenTests(app);
