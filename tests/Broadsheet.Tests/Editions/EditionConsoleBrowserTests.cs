using Broadsheet.Admin;
using Broadsheet.Delivery;
using Broadsheet.Editions;
using Broadsheet.Tests.Admin;
using Broadsheet.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Broadsheet.Tests.Editions;

/// <summary>The edition pages in Chromium on the shared SQLite app: compose, preview at both widths, test send, and the live progress view with its controls.</summary>
[Collection(SqliteCollection.Name)]
public sealed class EditionConsoleBrowserTests(SqliteApp app)
{
    private BroadsheetServer Server => app.Server;

    private string Url(string path) => new Uri(Server.BaseAddress, path).ToString();

    private async Task<IPage> SignInAsync(IBrowserContext context, AdminRole role, string path)
    {
        var page = await context.NewPageAsync();
        await page.GotoAsync(Url(path));
        await page.GetByLabel("Email").FillAsync(await ConsoleHttp.CreateUserAsync(Server, role));
        await page.GetByLabel("Password").FillAsync(ConsoleHttp.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(Url(path));
        return page;
    }

    [Fact]
    public async Task Compose_an_edition_see_it_at_desktop_and_phone_widths_and_send_a_test()
    {
        var tag = EditionsHttp.NewTag();
        var newsletter = await EditionsHttp.NewsletterAsync(Server, tag, active: 1);
        var headline = $"Orchard harvest begins {tag}";
        await EditionsHttp.PublishAsync(Server, headline, "Country");
        await using var context = await Infrastructure.Browser.NewContextAsync();
        var page = await SignInAsync(context, AdminRole.Editor, $"/admin/editions/new?newsletter={newsletter.Slug}");

        await page.GetByRole(AriaRole.Button, new() { Name = "Create draft" }).ClickAsync();
        await Assertions.Expect(page.Locator("#subject-error")).ToHaveTextAsync("A subject is required.");
        await Assertions.Expect(page.GetByLabel("Subject", new() { Exact = true })).ToHaveAttributeAsync("aria-invalid", "true");
        await page.GetByLabel("Subject", new() { Exact = true }).FillAsync($"Harvest {tag}");
        await page.GetByLabel($"Include {headline}").CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Create draft" }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex(@"/admin/editions/\d+$"));
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = $"Harvest {tag}", Exact = true })).ToBeVisibleAsync();

        foreach (var (title, width) in new[] { ("Desktop preview", 700), ("Phone preview", 375) })
        {
            await Assertions.Expect(page.FrameLocator($"iframe[title='{title}']").GetByRole(AriaRole.Link, new() { Name = headline })).ToBeVisibleAsync();
            var frame = await (await page.QuerySelectorAsync($"iframe[title='{title}']"))!.ContentFrameAsync();
            Assert.Equal(width, await frame!.EvaluateAsync<int>("() => window.innerWidth"));
            Assert.Equal("null", await frame.EvaluateAsync<string>("() => window.origin")); // sandboxed: a template's page is not the console
        }
        await Assertions.Expect(page.Locator("pre[data-text-preview]")).ToContainTextAsync(headline);

        var address = TestData.NewEmail("browser-test-send");
        await page.GetByLabel("Addresses").FillAsync(address);
        await page.GetByRole(AriaRole.Button, new() { Name = "Send test" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync("Test messages queued; they arrive in a moment.");
        var message = await app.Smtp.WaitForAsync(address);
        Assert.Equal($"[Test] Harvest {tag}", message.Subject);
        Assert.Contains(headline, message.HtmlBody);
    }

    [Fact]
    public async Task Live_progress_follows_the_records_without_reloading_and_the_controls_change_the_status()
    {
        var tag = EditionsHttp.NewTag();
        var newsletter = await EditionsHttp.NewsletterAsync(Server, tag, active: 0);
        var id = await EditionsHttp.SendingAsync(Server, newsletter, $"Live {tag}", audience: 10);
        await EditionsHttp.AddDeliveriesAsync(Server, id, DeliveryStatus.Sent, 4);
        await EditionsHttp.AddDeliveriesAsync(Server, id, DeliveryStatus.Failed, 1, "550 mailbox unavailable");
        await EditionsHttp.AddDeliveriesAsync(Server, id, DeliveryStatus.Queued, 5);
        await using var context = await Infrastructure.Browser.NewContextAsync();
        var page = await SignInAsync(context, AdminRole.Editor, $"/admin/editions/{id}");
        ILocator Field(string name) => page.Locator($"[data-field='{name}']");

        await Assertions.Expect(Field("sent")).ToHaveTextAsync("4");
        await Assertions.Expect(Field("remaining")).ToHaveTextAsync("5");
        await page.EvaluateAsync("() => { window.stillThisPage = true; }");
        await EditionsHttp.SendQueuedAsync(Server, id, 3);
        await EditionsHttp.AddDeliveriesAsync(Server, id, DeliveryStatus.Failed, 1, "552 mailbox full");
        await Assertions.Expect(Field("sent")).ToHaveTextAsync("7", new() { Timeout = 10_000 });
        await Assertions.Expect(Field("remaining")).ToHaveTextAsync("2");
        await Assertions.Expect(Field("failed")).ToHaveTextAsync("2");
        Assert.True(await page.EvaluateAsync<bool>("() => window.stillThisPage === true")); // updated in place

        await using (var noScript = await Infrastructure.Browser.NewContextAsync(javaScript: false))
        {
            var viewer = await SignInAsync(noScript, AdminRole.Viewer, $"/admin/editions/{id}");
            await Assertions.Expect(viewer.Locator("[data-field='sent']")).ToHaveTextAsync("7");
            await Assertions.Expect(viewer.GetByRole(AriaRole.Cell, new() { Name = "552 mailbox full" })).ToBeVisibleAsync();
            await Assertions.Expect(viewer.GetByRole(AriaRole.Button, new() { Name = "Pause" })).ToHaveCountAsync(0);
        }

        // The engine pauses by itself when every relay is down: the page notices the new status and shows why.
        await using (var scope = Server.Services.CreateAsyncScope())
            Assert.True(await scope.ServiceProvider.GetRequiredService<EditionActions>().PauseAsync(id, "Every relay is unreachable", CancellationToken.None));
        await Assertions.Expect(page.Locator("[data-paused-reason]")).ToContainTextAsync("Every relay is unreachable", new() { Timeout = 10_000 });
        await Assertions.Expect(page.Locator("[data-edition-status]")).ToHaveTextAsync("Paused");

        await page.GetByRole(AriaRole.Button, new() { Name = "Resume" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync("Sending again.");
        await Assertions.Expect(page.Locator("[data-edition-status]")).ToHaveTextAsync("Sending");
        await Assertions.Expect(page.Locator("[data-paused-reason]")).ToBeHiddenAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Pause" }).ClickAsync();
        await Assertions.Expect(page.Locator("[data-edition-status]")).ToHaveTextAsync("Paused");
        await page.GetByLabel("Stop this edition for good").CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Cancel edition" }).ClickAsync();
        await Assertions.Expect(page.Locator("[data-edition-status]")).ToHaveTextAsync("Cancelled");
        Assert.Equal(EditionStatus.Cancelled, (await EditionsHttp.EditionAsync(Server, id)).Status);
    }
}
