using Broadsheet.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Broadsheet.Tests.Browser;

/// <summary>The module with the keyboard alone: Tab to the field, type, Enter or Space on buttons; focus follows each state.</summary>
[Collection(SqliteCollection.Name)]
public sealed class KeyboardTests(SqliteApp app)
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Invalid_then_success_with_the_keyboard_alone(bool javaScript)
    {
        await using var reader = await Reader.OpenAsync(app.Server, javaScript);
        await TabToAsync(reader, reader.Email);

        var typed = "reader-at-example.com";
        await reader.Page.Keyboard.TypeAsync(typed);
        await reader.Page.Keyboard.PressAsync("Enter");
        await reader.ExpectInvalidAsync(typed);

        // Focus is back in the field: fix the address and send it again.
        await reader.Page.Keyboard.PressAsync("Control+A");
        var email = TestData.NewEmail("keys");
        await reader.Page.Keyboard.TypeAsync(email);
        await reader.Page.Keyboard.PressAsync("Tab");
        await Expect(reader.SubmitButton).ToBeFocusedAsync();
        await reader.Page.Keyboard.PressAsync("Space");
        await reader.ExpectSuccessAsync();

        // From the success message the next Tab reaches its link.
        await reader.Page.Keyboard.PressAsync("Tab");
        await Expect(reader.MoreLink).ToBeFocusedAsync();
    }

    [Fact]
    public async Task Failure_and_Try_again_with_the_keyboard_alone()
    {
        await using var reader = await Reader.OpenAsync(app.Server, javaScript: true);
        await reader.Page.RouteAsync("**/signup", route => route.AbortAsync("connectionrefused"));
        await TabToAsync(reader, reader.Email);
        var email = TestData.NewEmail("keys-retry");
        await reader.Page.Keyboard.TypeAsync(email);
        await reader.Page.Keyboard.PressAsync("Enter");
        await reader.ExpectFailureAsync();

        await reader.Page.Keyboard.PressAsync("Tab");
        await Expect(reader.Button(reader.Seed.FailureRetry)).ToBeFocusedAsync();
        await reader.Page.Keyboard.PressAsync("Enter");
        await reader.ExpectFormAsync(email);
        await Expect(reader.Email).ToBeFocusedAsync();
        await Expect(reader.Live).ToHaveTextAsync("");
    }

    /// <summary>Presses Tab from the top of the page until <paramref name="target"/> has focus, as a keyboard user would.</summary>
    private static async Task TabToAsync(Reader reader, ILocator target)
    {
        for (var i = 0; i < 25; i++)
        {
            await reader.Page.Keyboard.PressAsync("Tab");
            if (await target.EvaluateAsync<bool>("e => e === document.activeElement")) return;
        }
        Assert.Fail("Tab never reached the element.");
    }
}
