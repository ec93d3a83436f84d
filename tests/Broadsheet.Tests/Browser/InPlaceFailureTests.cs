using Broadsheet.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Broadsheet.Tests.Browser;

/// <summary>What only the in-place module can meet: a request in flight, a dropped connection, a server error.</summary>
[Collection(SqliteCollection.Name)]
public sealed class InPlaceFailureTests(SqliteApp app)
{
    [Fact]
    public async Task In_flight_says_Please_wait_disables_the_button_and_a_second_click_does_not_submit_twice()
    {
        await using var reader = await Reader.OpenAsync(app.Server, javaScript: true);
        var requests = 0;
        var release = new TaskCompletionSource();
        await reader.Page.RouteAsync("**/signup", async route =>
        {
            Interlocked.Increment(ref requests);
            await release.Task; // held until the test has looked at the in-flight state
            await route.ContinueAsync();
        });

        var email = TestData.NewEmail("slow");
        await reader.SignUpAsync(email);
        await Expect(reader.Text(reader.Seed.Wait)).ToBeVisibleAsync();
        await Expect(reader.Live).ToHaveTextAsync(reader.Seed.Wait);
        await Expect(reader.SubmitButton).ToBeDisabledAsync();
        await reader.SubmitButton.ClickAsync(new() { Force = true });
        await reader.Email.PressAsync("Enter");
        await reader.Page.EvaluateAsync("() => document.querySelector('.signup-form').requestSubmit()");

        release.SetResult();
        await reader.ExpectSuccessAsync();
        await Expect(reader.Text(reader.Seed.Wait)).ToBeHiddenAsync();
        Assert.Equal(1, requests);
        await Reader.ConfirmationLinkAsync(app.Smtp, email);
        Assert.Single(app.Smtp.To(email));
    }

    [Theory]
    [InlineData("network")]
    [InlineData("server")]
    public async Task Failure_shows_Oops_and_Try_again_returns_to_the_form_with_the_address(string fault)
    {
        await using var reader = await Reader.OpenAsync(app.Server, javaScript: true);
        await reader.Page.RouteAsync("**/signup", route => fault == "network"
            ? route.AbortAsync("connectionreset")
            : route.FulfillAsync(new() { Status = 500, ContentType = "text/html", Body = "<h1>Internal Server Error</h1>" }));

        var email = TestData.NewEmail(fault);
        await reader.SignUpAsync(email);
        await reader.ExpectFailureAsync();

        await reader.Page.UnrouteAllAsync();
        await reader.Button(reader.Seed.FailureRetry).ClickAsync();
        await reader.ExpectStateAsync("form");
        await reader.ExpectFormAsync(email);
        await Expect(reader.Email).ToBeFocusedAsync();

        await reader.SubmitButton.ClickAsync();
        await reader.ExpectSuccessAsync();
    }
}
