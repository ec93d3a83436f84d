using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Broadsheet.Tests.Infrastructure;

namespace Broadsheet.Tests.Signup;

/// <summary>The end-to-end happy path over HTTP: sign up, receive the confirmation by SMTP, confirm.</summary>
public abstract class SmokeTests(AppFixture app)
{
    [Fact]
    public async Task Sign_up_sends_a_confirmation_whose_link_confirms()
    {
        var email = TestData.NewEmail();
        using var client = app.Server.CreateClient(cookies: true);
        var response = await client.PostAsync("/signup", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["email"] = email, ["newsletter"] = TestData.Default, ["returnUrl"] = "/",
        }) { Headers = { } });
        Assert.Equal(HttpStatusCode.Found, response.StatusCode);
        Assert.Equal("/?signup=success#signup", response.Headers.Location!.OriginalString);

        var message = await app.Smtp.WaitForAsync(email);
        var link = System.Text.RegularExpressions.Regex.Match(message.TextBody ?? "", @"https?://\S+/confirm\?token=\S+").Value;
        Assert.NotEmpty(link);

        var page = await client.GetStringAsync(link);
        Assert.Contains("Confirm", page);
        var token = System.Text.RegularExpressions.Regex.Match(page, "name=\"token\" value=\"([^\"]+)\"").Groups[1].Value;
        var antiforgery = System.Text.RegularExpressions.Regex.Match(page, "name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"").Groups[1].Value;
        var confirm = await client.PostAsync(new Uri(link).PathAndQuery, new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["token"] = token, ["__RequestVerificationToken"] = antiforgery,
        }));
        Assert.Equal(HttpStatusCode.OK, confirm.StatusCode);
        Assert.Contains("is confirmed", await confirm.Content.ReadAsStringAsync());
    }
}

[Collection(SqliteCollection.Name)]
public sealed class SmokeTestsOnSqlite(SqliteApp app) : SmokeTests(app);

[Collection(PostgresCollection.Name)]
public sealed class SmokeTestsOnPostgres(PostgresApp app) : SmokeTests(app);
