using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Broadsheet.Signup;
using Broadsheet.Subscribers;
using Broadsheet.Tests.Infrastructure;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Broadsheet.Tests.Signup;

/// <summary>Double opt-in: pending until the Confirm button is pressed; signed, expiring, single-purpose tokens.</summary>
public abstract class DoubleOptInTests(AppFixture app)
{
    [Fact]
    public async Task New_address_is_pending_until_the_confirm_button_is_posted()
    {
        var email = TestData.NewEmail();
        using var client = app.Server.CreateClient(cookies: true);
        Assert.Equal("success", await SignupHttp.SignUpAsync(client, email));

        var message = await app.Smtp.WaitForAsync(email);
        Assert.False(string.IsNullOrWhiteSpace(message.HtmlBody));
        Assert.False(string.IsNullOrWhiteSpace(message.TextBody));
        var link = SignupHttp.ConfirmLink(message);
        Assert.Contains(new Uri(link).Query, message.HtmlBody);

        var records = await AddressRecords.LoadAsync(app.Server, email);
        Assert.Equal(SubscriptionStatus.Pending, Assert.Single(records.Subscriptions).Status);

        var page = await client.GetStringAsync(SignupHttp.Local(link));
        Assert.Contains("<button", page);
        Assert.Contains("Confirm", page);
        records = await AddressRecords.LoadAsync(app.Server, email);
        Assert.Equal(SubscriptionStatus.Pending, Assert.Single(records.Subscriptions).Status); // opening the link changes nothing
        Assert.Null(Assert.Single(records.Consents).ConfirmedAt);

        var confirmed = await SignupHttp.ConfirmAsync(client, link);
        Assert.Contains("is confirmed", confirmed);
        records = await AddressRecords.LoadAsync(app.Server, email);
        var subscription = Assert.Single(records.Subscriptions);
        Assert.Equal(SubscriptionStatus.Active, subscription.Status);
        Assert.NotNull(subscription.ConfirmedAt);
        Assert.NotNull(Assert.Single(records.Consents).ConfirmedAt);
    }

    [Fact]
    public async Task Newsletter_without_double_opt_in_is_active_at_once_and_sends_no_confirmation()
    {
        var email = TestData.NewEmail();
        using var client = app.Server.CreateClient();
        Assert.Equal("success", await SignupHttp.SignUpAsync(client, email, TestData.SingleOptIn));

        var records = await AddressRecords.LoadAsync(app.Server, email);
        Assert.Equal(SubscriptionStatus.Active, Assert.Single(records.Subscriptions).Status);
        Assert.NotNull(Assert.Single(records.Consents).ConfirmedAt);
        Assert.Empty(records.Mail);
    }

    [Fact]
    public async Task Confirmation_tokens_are_refused_when_tampered_expired_or_minted_for_another_purpose()
    {
        var email = TestData.NewEmail();
        using var client = app.Server.CreateClient();
        using var form = await SignupHttp.PostFormAsync(client, email, json: true);
        var moreUrl = (await form.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("moreUrl").GetString()!;
        var link = SignupHttp.ConfirmLink(await app.Smtp.WaitForAsync(email));
        var token = Uri.UnescapeDataString(new Uri(link).Query["?token=".Length..]);

        // The genuine token is compact, URL-safe as it stands in the link, and carries a 48-hour lifetime.
        Assert.Matches("^[A-Za-z0-9_-]{1,100}$", token);
        Assert.EndsWith("?token=" + token, link);
        using var compact = new CompactLinkTokens(app.Server.Services.GetRequiredService<LinkKey>().Loaded);
        var payload = Assert.IsType<string>(compact.ReadConfirmation(token, DateTimeOffset.UtcNow.AddHours(47.9)));
        Assert.Null(compact.ReadConfirmation(token, DateTimeOffset.UtcNow.AddHours(48).AddSeconds(1)));

        var tampered = token[..20] + (token[20] == 'A' ? 'B' : 'A') + token[21..];
        var expired = compact.Confirmation(payload, DateTimeOffset.UtcNow.AddSeconds(-1));
        var oldFormExpired = app.Server.Services.GetRequiredService<IDataProtectionProvider>()
            .CreateProtector("Broadsheet.Signup.Confirm.v1").ToTimeLimitedDataProtector().Protect(payload, DateTimeOffset.UtcNow.AddSeconds(-1));
        var otherPurpose = Uri.UnescapeDataString(moreUrl.Split("t=")[1]);
        // Tokens of the other sealed kinds, minted with the site's key and carrying the genuine nonce.
        var otherKinds = new[] { compact.OwnerLink(payload, DateTimeOffset.UtcNow.AddHours(1)), compact.MoreNewsletters(payload, DateTimeOffset.UtcNow.AddHours(1)) };
        foreach (var bad in otherKinds.Concat([tampered, token[..^1], token + "A", expired, oldFormExpired, otherPurpose, "guess", "", new string('A', 5_000)]))
        {
            var page = await client.GetStringAsync("/confirm?token=" + Uri.EscapeDataString(bad));
            Assert.Contains("This confirmation link is not valid any more.", page);
            Assert.DoesNotContain("name=\"token\"", page);
            using var post = await client.PostAsync("/confirm", new FormUrlEncodedContent(new Dictionary<string, string> { ["token"] = bad }));
            Assert.NotEqual(HttpStatusCode.InternalServerError, post.StatusCode);
        }
        Assert.Equal(SubscriptionStatus.Pending, Assert.Single((await AddressRecords.LoadAsync(app.Server, email)).Subscriptions).Status);

        // And the genuine one still works.
        using var owner = app.Server.CreateClient(cookies: true);
        Assert.Contains("is confirmed", await SignupHttp.ConfirmAsync(owner, link));
    }

    [Fact]
    public async Task Pending_address_signing_up_again_gets_success_and_at_most_one_confirmation_per_ten_minutes()
    {
        var email = TestData.NewEmail();
        using var client = app.Server.CreateClient();
        Assert.Equal("success", await SignupHttp.SignUpAsync(client, email));
        Assert.Equal("success", await SignupHttp.SignUpAsync(client, email));
        Assert.Equal("success", await SignupHttp.SignUpAsync(client, email));
        var records = await AddressRecords.LoadAsync(app.Server, email);
        Assert.Single(records.Subscribers);
        Assert.Single(records.Subscriptions);
        Assert.Single(records.Consents);
        Assert.Single(records.Mail);

        // Eleven minutes later new attempts, even concurrent ones, re-send the confirmation once, for the same opt-in.
        await app.Server.QueryAsync(db => db.Subscriptions.Where(s => s.Id == records.Subscriptions[0].Id)
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.ConfirmationSentAt, DateTime.UtcNow.AddMinutes(-11))));
        var states = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => SignupHttp.SignUpAsync(client, email)));
        Assert.All(states, state => Assert.Equal("success", state));
        records = await AddressRecords.LoadAsync(app.Server, email);
        Assert.Equal(2, records.Mail.Count);
        Assert.All(records.Mail, m => Assert.Equal("confirm", m.Kind));
        Assert.Single(records.Consents);

        // Nine minutes after that, still nothing new.
        await app.Server.QueryAsync(db => db.Subscriptions.Where(s => s.Id == records.Subscriptions[0].Id)
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.ConfirmationSentAt, DateTime.UtcNow.AddMinutes(-9))));
        Assert.Equal("success", await SignupHttp.SignUpAsync(client, email));
        Assert.Equal(2, (await AddressRecords.LoadAsync(app.Server, email)).Mail.Count);
    }

    [Fact]
    public async Task Twenty_identical_concurrent_sign_ups_store_one_of_everything()
    {
        var email = TestData.NewEmail("burst");
        using var client = app.Server.CreateClient();
        var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(async _ =>
        {
            using var r = await SignupHttp.PostFormAsync(client, email, json: true);
            return (r.StatusCode, Body: await r.Content.ReadAsStringAsync());
        }));
        Assert.All(responses, r =>
        {
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            Assert.Contains("\"success\"", r.Body);
        });

        var records = await AddressRecords.LoadAsync(app.Server, email);
        Assert.Single(records.Subscribers);
        Assert.Single(records.Subscriptions);
        Assert.Single(records.Consents);
        Assert.Single(records.Mail);
        await app.Smtp.WaitForAsync(email);
    }

    [Fact]
    public async Task Unsubscribed_address_signing_up_again_starts_a_fresh_double_opt_in_and_old_links_die()
    {
        var email = TestData.NewEmail();
        using var client = app.Server.CreateClient(cookies: true);
        await SignupHttp.SignUpAsync(client, email);
        var firstLink = SignupHttp.ConfirmLink(await app.Smtp.WaitForAsync(email));
        await SignupHttp.ConfirmAsync(client, firstLink);

        var id = Assert.Single((await AddressRecords.LoadAsync(app.Server, email)).Subscriptions).Id;
        await app.Server.QueryAsync(async db =>
        {
            var sub = await db.Subscriptions.SingleAsync(s => s.Id == id);
            sub.Status = SubscriptionStatus.Unsubscribed;
            sub.UnsubscribedAt = DateTime.UtcNow;
            return await db.SaveChangesAsync();
        });
        Assert.Contains("not valid", await client.GetStringAsync(SignupHttp.Local(firstLink)));

        using var stranger = app.Server.CreateClient(cookies: true);
        Assert.Equal("success", await SignupHttp.SignUpAsync(stranger, email));
        var records = await AddressRecords.LoadAsync(app.Server, email);
        Assert.Equal(SubscriptionStatus.Pending, Assert.Single(records.Subscriptions).Status);
        Assert.Equal(2, records.Consents.Count);
        Assert.Null(records.Consents[1].ConfirmedAt);
        Assert.Equal(records.Consents[1].Id, records.Subscriptions[0].CurrentConsentId);

        var secondLink = SignupHttp.ConfirmLink(await app.Smtp.WaitForAsync(email, m => SignupHttp.ConfirmLink(m) != firstLink));
        Assert.Contains("not valid", await client.GetStringAsync(SignupHttp.Local(firstLink)));
        Assert.Contains("is confirmed", await SignupHttp.ConfirmAsync(stranger, secondLink));
        Assert.Equal(SubscriptionStatus.Active, Assert.Single((await AddressRecords.LoadAsync(app.Server, email)).Subscriptions).Status);
    }
}

[Collection(SqliteCollection.Name)]
public sealed class DoubleOptInTestsOnSqlite(SqliteApp app) : DoubleOptInTests(app);

[Collection(PostgresCollection.Name)]
public sealed class DoubleOptInTestsOnPostgres(PostgresApp app) : DoubleOptInTests(app);
