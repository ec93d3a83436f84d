using System.Text.RegularExpressions;
using Broadsheet.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Broadsheet.Tests.Signup;

/// <summary>
/// "Already registered" is told only to a browser that proved it owns the address; anyone else gets success and
/// the owner gets a short, rate-limited notice by email.
/// </summary>
public abstract class ExistingSubscriberTests(AppFixture app)
{
    [Fact]
    public async Task A_stranger_gets_success_and_the_owner_one_rate_limited_notice()
    {
        var email = TestData.NewEmail("active");
        using var stranger = app.Server.CreateClient();
        Assert.Equal("success", await SignupHttp.SignUpAsync(stranger, email, TestData.SingleOptIn)); // active at once
        Assert.Equal("success", await SignupHttp.SignUpAsync(stranger, email, TestData.SingleOptIn));
        Assert.Equal("success", await SignupHttp.SignUpAsync(stranger, email, TestData.SingleOptIn));

        var notice = await app.Smtp.WaitForAsync(email);
        Assert.False(string.IsNullOrWhiteSpace(notice.HtmlBody));
        Assert.Contains("/newsletters?o=", notice.TextBody);
        var records = await AddressRecords.LoadAsync(app.Server, email);
        Assert.Equal("existing", Assert.Single(records.Mail).Kind); // the second attempt sent nothing more
        Assert.Single(records.Subscriptions);

        // A day later, concurrent attempts send one more notice between them.
        await app.Server.QueryAsync(db => db.Subscriptions.Where(s => s.Id == records.Subscriptions[0].Id)
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.ExistingNoticeSentAt, DateTime.UtcNow.AddHours(-25))));
        var states = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => SignupHttp.SignUpAsync(stranger, email, TestData.SingleOptIn)));
        Assert.All(states, state => Assert.Equal("success", state));
        Assert.Equal(2, (await AddressRecords.LoadAsync(app.Server, email)).Mail.Count);
    }

    [Fact]
    public async Task A_browser_that_confirmed_the_address_is_told_it_is_already_registered()
    {
        var email = TestData.NewEmail("owner");
        using var owner = app.Server.CreateClient(cookies: true);
        await SignupHttp.SignUpAsync(owner, email);
        await SignupHttp.ConfirmAsync(owner, SignupHttp.ConfirmLink(await app.Smtp.WaitForAsync(email)));

        Assert.Equal("existing", await SignupHttp.SignUpAsync(owner, email));
        using var stranger = app.Server.CreateClient();
        Assert.Equal("success", await SignupHttp.SignUpAsync(stranger, email));

        // A forged owner cookie proves nothing.
        using var forger = app.Server.CreateClient();
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/public/subscriptions")
        {
            Content = System.Net.Http.Json.JsonContent.Create(new { email, newsletters = new[] { TestData.Default } }),
        };
        request.Headers.Add("Cookie", "bs_owner=" + Uri.EscapeDataString(email));
        using var forged = await forger.SendAsync(request);
        Assert.Contains("\"success\"", await forged.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Arriving_from_the_link_in_our_notice_email_proves_ownership()
    {
        var email = TestData.NewEmail("notice");
        using var browser = app.Server.CreateClient(cookies: true);
        await SignupHttp.SignUpAsync(browser, email, TestData.SingleOptIn);
        Assert.Equal("success", await SignupHttp.SignUpAsync(browser, email, TestData.SingleOptIn));

        var notice = await app.Smtp.WaitForAsync(email);
        var link = Regex.Match(notice.TextBody ?? "", @"https?://\S+/newsletters\?o=\S+").Value;
        using var landing = await browser.GetAsync(SignupHttp.Local(link));
        Assert.Equal(System.Net.HttpStatusCode.Redirect, landing.StatusCode);

        Assert.Equal("existing", await SignupHttp.SignUpAsync(browser, email, TestData.SingleOptIn));
        using var api = await SignupHttp.PostApiAsync(browser, new { email, newsletters = new[] { TestData.SingleOptIn } });
        Assert.Contains("\"existing\"", await api.Content.ReadAsStringAsync());
    }
}

[Collection(SqliteCollection.Name)]
public sealed class ExistingSubscriberTestsOnSqlite(SqliteApp app) : ExistingSubscriberTests(app);

[Collection(PostgresCollection.Name)]
public sealed class ExistingSubscriberTestsOnPostgres(PostgresApp app) : ExistingSubscriberTests(app);

/// <summary>
/// <c>Signup:RevealExisting</c> = <c>always</c> or <c>never</c> overrides the ownership rule; the second app also
/// turns <c>Signup:RecordIp</c> off.
/// </summary>
public abstract class RevealExistingSettingTests(DatabaseKind kind)
{
    [Fact]
    public async Task Always_tells_anyone_and_never_tells_no_one()
    {
        await using var always = await ExtraApp.StartAsync(kind, new Dictionary<string, string?> { ["Signup:RevealExisting"] = "always" });
        await using var never = await ExtraApp.StartAsync(kind, new Dictionary<string, string?> { ["Signup:RevealExisting"] = "never", ["Signup:RecordIp"] = "false" });

        var email = TestData.NewEmail();
        using (var stranger = always.Server.CreateClient())
        {
            Assert.Equal("success", await SignupHttp.SignUpAsync(stranger, email, TestData.SingleOptIn));
            Assert.Equal("existing", await SignupHttp.SignUpAsync(stranger, email, TestData.SingleOptIn));
        }

        using var owner = never.Server.CreateClient(cookies: true);
        await SignupHttp.SignUpAsync(owner, email);
        await SignupHttp.ConfirmAsync(owner, SignupHttp.ConfirmLink(await never.Smtp!.WaitForAsync(email)));
        Assert.Equal("success", await SignupHttp.SignUpAsync(owner, email));
        Assert.Null(Assert.Single((await AddressRecords.LoadAsync(never.Server, email)).Consents).IpAddress);
        Assert.Equal("127.0.0.1", Assert.Single((await AddressRecords.LoadAsync(always.Server, email)).Consents).IpAddress);
        await never.Smtp.WaitForAsync(email, m => !(m.TextBody ?? "").Contains("/confirm?token="));
    }
}

public sealed class RevealExistingSettingTestsOnSqlite() : RevealExistingSettingTests(DatabaseKind.Sqlite);

public sealed class RevealExistingSettingTestsOnPostgres() : RevealExistingSettingTests(DatabaseKind.Postgres);
