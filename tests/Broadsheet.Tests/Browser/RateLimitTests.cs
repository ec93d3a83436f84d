using Broadsheet.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Broadsheet.Tests.Browser;

/// <summary>An app that allows one sign-up per IP address and minute.</summary>
public sealed class RateLimitedApp() : ConfiguredApp(DatabaseKind.Sqlite, new() { ["Signup:RateLimit:PerIpPerMinute"] = "1" });

/// <summary>The per-IP rate limit, met in the browser, is the failure state with Try again (with and without JavaScript).</summary>
public sealed class RateLimitTests(RateLimitedApp app) : IClassFixture<RateLimitedApp>
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Rate_limit_shows_the_failure_state_and_Try_again_keeps_the_address(bool javaScript)
    {
        await using var reader = await Reader.OpenAsync(app.Server, javaScript);
        // Use up this minute's one sign-up for 127.0.0.1 (if an earlier test has not already).
        using (var client = app.Server.CreateClient())
            await client.PostAsync("/signup", new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["email"] = TestData.NewEmail("first"), ["newsletter"] = TestData.Default, ["returnUrl"] = "/",
            }));

        var email = TestData.NewEmail("limited");
        await reader.SignUpAsync(email);
        await reader.ExpectFailureAsync();
        Assert.Empty(app.Smtp.To(email));

        await reader.Button(reader.Seed.FailureRetry).ClickAsync();
        await reader.ExpectStateAsync("form");
        await reader.ExpectFormAsync(email);
        await Expect(reader.Email).ToBeFocusedAsync();
    }
}
