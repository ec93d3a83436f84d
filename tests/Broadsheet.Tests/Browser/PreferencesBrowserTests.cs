using Broadsheet.Tests.Infrastructure;
using Broadsheet.Tests.Subscribers;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Broadsheet.Tests.Browser;

/// <summary>The change-of-address form in Chromium on the shared SQLite app, from the typo to the new address's page.</summary>
[Collection(SqliteCollection.Name)]
public sealed class PreferencesBrowserTests(SqliteApp app)
{
    [Fact]
    public async Task A_reader_corrects_a_typo_then_confirms_the_new_address_from_its_mailbox()
    {
        var (email, _) = await PreferencesHttp.ReaderAsync(app, "browser-move");
        var target = TestData.NewEmail("browser-moved");
        await using var context = await Infrastructure.Browser.NewContextAsync();
        var page = await context.NewPageAsync();
        await page.GotoAsync(new Uri(app.Server.BaseAddress, PreferencesHttp.PageUrl(app.Server, email)).ToString());

        var field = page.GetByLabel("New email address");
        var send = page.GetByRole(AriaRole.Button, new() { Name = "Send a confirmation link" });
        await field.FillAsync(target.Replace("@", "@@"));
        await send.ClickAsync();
        await Expect(field).ToHaveAttributeAsync("aria-invalid", "true");
        await Expect(page.GetByRole(AriaRole.Alert)).ToHaveTextAsync(SeedArticle.Parse(TestEnvironment.SeedText).InvalidEmail);

        await field.FillAsync(target);
        await send.ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync($"We have sent a link to {target}.");

        await page.GotoAsync(new Uri(app.Server.BaseAddress, PreferencesHttp.ChangeLink(await app.Smtp.WaitForAsync(target))).ToString());
        await page.GetByRole(AriaRole.Button, new() { Name = "Confirm" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync($"your newsletters now go to {target}");
        await page.GetByRole(AriaRole.Link, new() { Name = "Your subscriptions" }).ClickAsync();
        await Expect(page.Locator("p", new() { HasText = "Signed in as" })).ToContainTextAsync(target);
    }
}
