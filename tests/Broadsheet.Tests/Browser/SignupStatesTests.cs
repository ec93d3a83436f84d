using Broadsheet.Subscribers;
using Broadsheet.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Broadsheet.Tests.Browser;

/// <summary>
/// Every state of the module walked in a real browser, once with JavaScript (drawn in place) and once without
/// (a plain form post; the server draws the same state).
/// </summary>
[Collection(SqliteCollection.Name)]
public sealed class SignupStatesTests(SqliteApp app)
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Success_then_Click_here_adds_a_second_newsletter_in_one_click(bool javaScript)
    {
        await using var reader = await Reader.OpenAsync(app.Server, javaScript);
        var email = TestData.NewEmail("success");

        await reader.SignUpAsync(email);
        await reader.ExpectSuccessAsync();
        await Reader.ConfirmationLinkAsync(app.Smtp, email, "The Morning Briefing");

        await reader.MoreLink.ClickAsync();
        await Expect(reader.Page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/newsletters\\?t="));
        await Expect(reader.Page.GetByText(email)).ToBeVisibleAsync();
        var second = reader.Page.Locator($"#newsletter-{TestData.Second}");
        // No address to type again: the signed token in the link carries it.
        await Expect(second.GetByRole(AriaRole.Textbox)).ToHaveCountAsync(0);
        await second.GetByRole(AriaRole.Button, new() { Name = reader.Seed.Submit }).ClickAsync();
        await Expect(second.GetByText(reader.Seed.SuccessTitle)).ToBeVisibleAsync();

        await Reader.ConfirmationLinkAsync(app.Smtp, email, "Analysis Weekly");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Invalid_address_is_explained_beside_the_field_and_nothing_is_stored(bool javaScript)
    {
        await using var reader = await Reader.OpenAsync(app.Server, javaScript);
        var marker = Guid.NewGuid().ToString("N");
        var typed = $"reader.{marker}.example.com";

        await reader.SignUpAsync(typed);
        await reader.ExpectInvalidAsync(typed);
        Assert.False(await app.Server.QueryAsync(db => db.Subscribers.AnyAsync(s => s.Email.Contains(marker))));

        // Correcting the address goes through.
        var email = $"reader.{marker}@example.com";
        await reader.SignUpAsync(email);
        await reader.ExpectSuccessAsync();
        Assert.True(await app.Server.QueryAsync(db => db.Subscribers.AnyAsync(s => s.Email == email)));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Confirmation_link_then_signing_up_again_says_already_registered_and_Close_returns_to_the_form(bool javaScript)
    {
        await using var reader = await Reader.OpenAsync(app.Server, javaScript);
        var email = TestData.NewEmail("existing");
        await reader.SignUpAsync(email);
        await reader.ExpectSuccessAsync();

        // The emailed link, opened in this browser: a page with a Confirm button; opening it changes nothing.
        var link = await Reader.ConfirmationLinkAsync(app.Smtp, email);
        await reader.Page.GotoAsync(link);
        var confirm = reader.Page.GetByRole(AriaRole.Button, new() { Name = "Confirm", Exact = true });
        await Expect(confirm).ToBeVisibleAsync();
        Assert.Equal(SubscriptionStatus.Pending, await StatusAsync(email));
        await confirm.ClickAsync();
        await Expect(reader.Page.GetByRole(AriaRole.Status)).ToContainTextAsync("confirmed");
        Assert.Equal(SubscriptionStatus.Active, await StatusAsync(email));

        await reader.OpenArticleAsync();
        await reader.SignUpAsync(email);
        await reader.ExpectExistingAsync();

        await reader.Button(reader.Seed.ExistingClose).ClickAsync();
        await reader.ExpectStateAsync("form");
        await reader.ExpectFormAsync();
        await Expect(reader.Email).ToBeFocusedAsync();
        await Expect(reader.Live).ToHaveTextAsync("");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_stranger_signing_up_a_registered_address_is_not_told_it_is_registered(bool javaScript)
    {
        var email = TestData.NewEmail("private");
        await using (var owner = await Reader.OpenAsync(app.Server, javaScript))
        {
            await owner.SignUpAsync(email);
            await owner.ExpectSuccessAsync();
            await owner.Page.GotoAsync(await Reader.ConfirmationLinkAsync(app.Smtp, email));
            await owner.Page.GetByRole(AriaRole.Button, new() { Name = "Confirm", Exact = true }).ClickAsync();
            await Expect(owner.Page.GetByRole(AriaRole.Status)).ToContainTextAsync("confirmed");
        }

        await using var stranger = await Reader.OpenAsync(app.Server, javaScript);
        await stranger.SignUpAsync(email);
        await stranger.ExpectSuccessAsync();
    }

    private Task<SubscriptionStatus> StatusAsync(string email) =>
        app.Server.QueryAsync(db => db.Subscriptions.Where(s => s.Subscriber.Email == email && s.Newsletter.Slug == TestData.Default)
            .Select(s => s.Status).SingleAsync());
}
