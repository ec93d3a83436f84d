using System.Net;
using System.Text;
using Broadsheet.Admin;
using Broadsheet.Tests.Admin;
using Broadsheet.Tests.Infrastructure;
using Broadsheet.Tests.Subscribers;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;

namespace Broadsheet.Tests.Browser;

/// <summary>The console in Chromium on the shared SQLite app: sign-in and lockout, the subscriber list, import, export, erasure, a viewer's limits.</summary>
[Collection(SqliteCollection.Name)]
public sealed class ConsoleBrowserTests(SqliteApp app)
{
    private BroadsheetServer Server => app.Server;

    private async Task<IPage> SignInAsync(IBrowserContext context, string email, string password = ConsoleHttp.Password)
    {
        var page = await context.NewPageAsync();
        await page.GotoAsync(new Uri(Server.BaseAddress, "/admin/subscribers").ToString());
        Assert.Contains("/admin/signin", page.Url);
        await page.GetByLabel("Email").FillAsync(email);
        await page.GetByLabel("Password").FillAsync(password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        return page;
    }

    [Fact]
    public async Task Sign_in_returns_to_the_page_asked_for_and_repeated_wrong_passwords_lock_out()
    {
        var email = await ConsoleHttp.CreateUserAsync(Server, AdminRole.Editor);
        await using var context = await Infrastructure.Browser.NewContextAsync();
        var page = await SignInAsync(context, email, "wrong password!");
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToHaveTextAsync("Wrong email or password.");
        for (var i = 2; i <= UserAccounts.MaxFailedSignIns; i++)
        {
            await page.GetByLabel("Password").FillAsync("wrong password!");
            await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        }
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("Too many failed attempts");
        await page.GetByLabel("Password").FillAsync(ConsoleHttp.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("Too many failed attempts");

        var other = await ConsoleHttp.CreateUserAsync(Server, AdminRole.Editor);
        await using var fresh = await Infrastructure.Browser.NewContextAsync();
        var signedIn = await SignInAsync(fresh, other);
        await Assertions.Expect(signedIn).ToHaveURLAsync(new Uri(Server.BaseAddress, "/admin/subscribers").ToString());
        await Assertions.Expect(signedIn.GetByRole(AriaRole.Heading, new() { Name = "Subscribers", Exact = true })).ToBeVisibleAsync();
        var cookie = (await fresh.CookiesAsync()).Single(c => c.Name == "bs_console");
        Assert.True(cookie.HttpOnly);
        Assert.Equal(SameSiteAttribute.Strict, cookie.SameSite);
    }

    [Fact]
    public async Task Search_filter_and_export_the_result()
    {
        var tag = Audience.NewTag();
        await Audience.AddAsync(Server, tag, 12);
        var email = await ConsoleHttp.CreateUserAsync(Server, AdminRole.Editor);
        await using var context = await Infrastructure.Browser.NewContextAsync();
        var page = await SignInAsync(context, email);

        await page.GetByLabel("Search").FillAsync($"{tag}-00");
        await page.GetByRole(AriaRole.Button, new() { Name = "Apply" }).ClickAsync();
        await Assertions.Expect(page.Locator("[data-total]")).ToHaveTextAsync("10");
        await page.GetByLabel("Newsletter", new() { Exact = true }).SelectOptionAsync(TestData.Default);
        await page.GetByLabel("Subscription").SelectOptionAsync("Active");
        await page.GetByRole(AriaRole.Button, new() { Name = "Apply" }).ClickAsync();
        await Assertions.Expect(page.Locator("[data-total]")).ToHaveTextAsync("5");
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = $"{tag}-004@example.com" })).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = $"{tag}-003@example.com" })).ToHaveCountAsync(0);

        var download = await page.RunAndWaitForDownloadAsync(() => page.GetByRole(AriaRole.Link, new() { Name = "Export CSV" }).ClickAsync());
        Assert.EndsWith(".csv", download.SuggestedFilename);
        var lines = (await File.ReadAllLinesAsync((await download.PathAsync())!)).Skip(1).ToList();
        Assert.Equal(["000", "002", "004", "006", "008"], lines.Select(l => l[(tag.Length + 1)..(tag.Length + 4)]).Order());
    }

    [Fact]
    public async Task Upload_a_good_file_and_watch_it_finish_then_a_bad_one_is_refused()
    {
        var tag = Audience.NewTag();
        var email = await ConsoleHttp.CreateUserAsync(Server, AdminRole.Editor);
        await using var context = await Infrastructure.Browser.NewContextAsync();
        var page = await SignInAsync(context, email);
        await page.GotoAsync(new Uri(Server.BaseAddress, "/admin/import").ToString());

        var good = new StringBuilder("email,name\n");
        for (var i = 0; i < 300; i++) good.Append(i == 150 ? "nobody-at-all" : $"{tag}-{i}@example.com").Append(",Reader\n");
        await page.GetByLabel("CSV file").SetInputFilesAsync(new FilePayload { Name = "readers.csv", MimeType = "text/csv", Buffer = Encoding.UTF8.GetBytes(good.ToString()) });
        await page.GetByLabel("Newsletter").SelectOptionAsync(TestData.SingleOptIn);
        await page.GetByRole(AriaRole.Button, new() { Name = "Import" }).ClickAsync();
        Assert.Matches(@"/admin/jobs/\d+$", page.Url);
        await Assertions.Expect(page.GetByRole(AriaRole.Heading)).ToContainTextAsync("readers.csv");
        await Assertions.Expect(page.Locator("[data-job-status]")).ToHaveTextAsync("Done", new() { Timeout = 30_000 }); // the page refreshes itself
        await Assertions.Expect(page.Locator("progress")).ToHaveAttributeAsync("value", "100");
        var report = await page.RunAndWaitForDownloadAsync(() => page.GetByRole(AriaRole.Link, new() { Name = "Download the report of rejected rows" }).ClickAsync());
        Assert.Contains("152,nobody-at-all,not a valid email address", await File.ReadAllTextAsync((await report.PathAsync())!));
        Assert.Equal(299, await Server.QueryAsync(db => db.Subscribers.CountAsync(s => s.NormalizedEmail.StartsWith(tag + "-"))));

        await page.GotoAsync(new Uri(Server.BaseAddress, "/admin/import").ToString());
        await page.GetByLabel("CSV file").SetInputFilesAsync(new FilePayload { Name = "wrong.csv", MimeType = "text/csv", Buffer = Encoding.UTF8.GetBytes($"name;town\nAnn;{tag}-x@example.com\n") });
        await page.GetByRole(AriaRole.Button, new() { Name = "Import" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("No email column found");
        Assert.EndsWith("/admin/import", page.Url);
    }

    [Fact]
    public async Task An_owner_erases_a_reader_and_a_viewer_can_change_nothing()
    {
        var reader = TestData.NewEmail("browser-erase");
        var id = await Server.QueryAsync(async db =>
        {
            var s = new Broadsheet.Subscribers.Subscriber { Email = reader, NormalizedEmail = reader, CreatedAt = DateTime.UtcNow };
            db.Subscribers.Add(s);
            await db.SaveChangesAsync();
            return s.Id;
        });

        var viewerEmail = await ConsoleHttp.CreateUserAsync(Server, AdminRole.Viewer);
        await using (var viewerContext = await Infrastructure.Browser.NewContextAsync())
        {
            var page = await SignInAsync(viewerContext, viewerEmail);
            await page.GotoAsync(new Uri(Server.BaseAddress, $"/admin/subscribers/{id}").ToString());
            await Assertions.Expect(page.GetByText(reader).First).ToBeVisibleAsync();
            await Assertions.Expect(page.Locator("main form[method=post]")).ToHaveCountAsync(0);
            await page.GotoAsync(new Uri(Server.BaseAddress, "/admin/subscribers").ToString());
            await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Start" })).ToHaveCountAsync(0);
            await page.GotoAsync(new Uri(Server.BaseAddress, "/admin/import").ToString());
            await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Not allowed" })).ToBeVisibleAsync();

            // The viewer's own API token reads, and is refused (403) for anything that changes.
            await page.GotoAsync(new Uri(Server.BaseAddress, "/admin/account").ToString());
            await page.GetByLabel("Name").FillAsync("script");
            await page.GetByRole(AriaRole.Button, new() { Name = "Create token" }).ClickAsync();
            var token = await page.Locator("[data-new-token]").InnerTextAsync();
            using var api = Server.CreateClient();
            api.DefaultRequestHeaders.Authorization = new("Bearer", token.Trim());
            Assert.Equal(HttpStatusCode.OK, (await api.GetAsync($"/api/newsletters/{TestData.Default}")).StatusCode);
            using var put = await api.PutAsync($"/api/newsletters/{TestData.Default}", new StringContent("""{"name":"x"}""", Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.Forbidden, put.StatusCode);
        }

        var ownerEmail = await ConsoleHttp.CreateUserAsync(Server, AdminRole.Owner);
        await using var ownerContext = await Infrastructure.Browser.NewContextAsync();
        var owner = await SignInAsync(ownerContext, ownerEmail);
        await owner.GotoAsync(new Uri(Server.BaseAddress, $"/admin/subscribers/{id}").ToString());
        await owner.GetByRole(AriaRole.Button, new() { Name = "Erase this person" }).ClickAsync();
        await Assertions.Expect(owner).ToHaveURLAsync(new Uri(Server.BaseAddress, "/admin/subscribers").ToString());
        Assert.False(await Server.QueryAsync(db => db.Subscribers.AnyAsync(s => s.Id == id)));
        await owner.GotoAsync(new Uri(Server.BaseAddress, $"/admin/suppressions?lookup={Uri.EscapeDataString(reader)}").ToString());
        await Assertions.Expect(owner.GetByRole(AriaRole.Status)).ToHaveTextAsync($"{reader} is suppressed.");
    }
}
