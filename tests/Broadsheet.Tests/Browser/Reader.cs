using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Broadsheet.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Broadsheet.Tests.Browser;

/// <summary>
/// A reader's browser on the seed article: one context (with or without JavaScript), one page, and the sign-up
/// module found the way a reader finds it, by its words, its label and its roles.
/// </summary>
public sealed partial class Reader : IAsyncDisposable
{
    private static readonly ConcurrentDictionary<BroadsheetServer, Task<(int Id, string Url, SeedArticle Seed)>> Published = new();
    private int _navigations;

    static Reader() => SetDefaultExpectTimeout(15_000); // a 2-core machine running the suite in parallel is slow

    private Reader(BroadsheetServer server, IBrowserContext context, IPage page, SeedArticle seed, bool javaScript, Uri articleUrl)
    {
        Server = server;
        Context = context;
        Page = page;
        Seed = seed;
        JavaScript = javaScript;
        ArticleUrl = articleUrl;
        page.FrameNavigated += (_, frame) => { if (frame == page.MainFrame) Interlocked.Increment(ref _navigations); };
    }

    public BroadsheetServer Server { get; }
    public IBrowserContext Context { get; }
    public IPage Page { get; }
    public SeedArticle Seed { get; }
    public bool JavaScript { get; }
    public Uri ArticleUrl { get; }

    /// <summary>Main-frame navigations since the article was last opened.</summary>
    public int Navigations => _navigations;

    public static async Task<Reader> OpenAsync(BroadsheetServer server, bool javaScript, bool openArticle = true)
    {
        var (_, url, seed) = await Published.GetOrAdd(server, TestData.PublishSeedAsync);
        var context = await Infrastructure.Browser.NewContextAsync(javaScript);
        context.SetDefaultTimeout(15_000);
        var reader = new Reader(server, context, await context.NewPageAsync(), seed, javaScript, new Uri(server.BaseAddress, url));
        if (openArticle) await reader.OpenArticleAsync();
        return reader;
    }

    public async Task OpenArticleAsync()
    {
        await Page.GotoAsync(ArticleUrl.ToString());
        Interlocked.Exchange(ref _navigations, 0);
    }

    public ILocator Module => Page.Locator("section[data-signup]");
    public ILocator Email => Page.GetByLabel(Seed.EmailLabel, new() { Exact = true });
    public ILocator SubmitButton => Button(Seed.Submit);
    public ILocator Live => Module.Locator("[aria-live]");
    public ILocator Error => Text(Seed.InvalidEmail);

    /// <summary>Words shown in the module's panels (the live region repeats them for screen readers and is checked on its own).</summary>
    public ILocator Text(string text) => Module.Locator("[data-panel]").GetByText(text, new() { Exact = true });
    public ILocator Button(string name) => Module.GetByRole(AriaRole.Button, new() { Name = name, Exact = true });
    public ILocator MoreLink => Module.GetByRole(AriaRole.Link, new() { Name = Seed.SuccessLink, Exact = true });

    public async Task SignUpAsync(string email)
    {
        await Email.FillAsync(email);
        await SubmitButton.ClickAsync();
    }

    /// <summary>
    /// With JavaScript every state is drawn in place: the page never navigates. Without it, each state is a page the
    /// server rendered after the form post, named in the address bar.
    /// </summary>
    public async Task ExpectStateAsync(string state)
    {
        if (JavaScript)
        {
            await Expect(Module).ToHaveAttributeAsync("data-state", state);
            Assert.Equal(0, Navigations);
        }
        else
        {
            var shown = new Regex(state == "form" ? "[?&]signup=(success|failure|existing|invalid)" : $"[?&]signup={state}\\b");
            if (state == "form") await Expect(Page).Not.ToHaveURLAsync(shown);
            else await Expect(Page).ToHaveURLAsync(shown);
        }
    }

    public async Task ExpectFormAsync(string? email = "")
    {
        await Expect(Text(Seed.Heading)).ToBeVisibleAsync();
        await Expect(Email).ToBeVisibleAsync();
        await Expect(Email).ToHaveValueAsync(email ?? "");
        await Expect(SubmitButton).ToBeEnabledAsync();
        await Expect(Error).ToBeHiddenAsync();
        foreach (var title in new[] { Seed.SuccessTitle, Seed.FailureTitle, Seed.ExistingTitle })
            await Expect(Text(title)).ToBeHiddenAsync();
    }

    public Task ExpectSuccessAsync() => ExpectMessageAsync("success", Seed.SuccessTitle, Seed.SuccessMore, MoreLink);
    public Task ExpectExistingAsync() => ExpectMessageAsync("existing", Seed.ExistingTitle, Seed.ExistingMore, Button(Seed.ExistingClose));
    public Task ExpectFailureAsync() => ExpectMessageAsync("failure", Seed.FailureTitle, Seed.FailureMore, Button(Seed.FailureRetry));

    /// <summary>A message state: its two lines and its link or button shown, the form gone, the live region saying it, focus on it.</summary>
    private async Task ExpectMessageAsync(string state, string title, string more, ILocator action)
    {
        await ExpectStateAsync(state);
        await Expect(Text(title)).ToBeVisibleAsync();
        await Expect(Text(more)).ToBeVisibleAsync();
        await Expect(action).ToBeVisibleAsync();
        await Expect(Email).ToBeHiddenAsync();
        await Expect(Live).ToHaveTextAsync($"{title} {more}");
        await Expect(Text(title)).ToBeFocusedAsync();
    }

    public async Task ExpectInvalidAsync(string typed)
    {
        await ExpectStateAsync("invalid");
        await Expect(Error).ToBeVisibleAsync();
        await Expect(Email).ToHaveValueAsync(typed);
        await Expect(Email).ToHaveAttributeAsync("aria-invalid", "true");
        // Beside the field and tied to it, so a screen reader reads it with the field.
        await Expect(Email).ToHaveAccessibleDescriptionAsync(Seed.InvalidEmail);
        await Expect(Live).ToHaveTextAsync(Seed.InvalidEmail);
        await Expect(Email).ToBeFocusedAsync();
    }

    /// <summary>The link of the confirmation email for <paramref name="newsletterName"/> that SmtpSink received for <paramref name="email"/>.</summary>
    public static async Task<string> ConfirmationLinkAsync(SmtpSink smtp, string email, string? newsletterName = null)
    {
        var message = await smtp.WaitForAsync(email, m => m.Subject.StartsWith("Confirm") && (newsletterName is null || m.Subject.Contains(newsletterName)));
        var link = ConfirmLink().Match(message.TextBody).Value;
        Assert.NotEmpty(link);
        return link;
    }

    [GeneratedRegex(@"https?://\S+/confirm\?token=\S+")]
    private static partial Regex ConfirmLink();

    public async ValueTask DisposeAsync() => await Context.CloseAsync();
}
