using Broadsheet.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Broadsheet.Tests.Browser;

/// <summary>The seed article as a reader sees it, and the sign-up module's first state, with and without JavaScript.</summary>
[Collection(SqliteCollection.Name)]
public sealed class ArticlePageTests(SqliteApp app)
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Article_shows_headline_paragraphs_related_links_and_the_module_between_paragraphs(bool javaScript)
    {
        await using var reader = await Reader.OpenAsync(app.Server, javaScript);
        var page = reader.Page;
        var seed = reader.Seed;

        var h1 = page.GetByRole(AriaRole.Heading, new() { Level = 1 });
        await Expect(h1).ToHaveCountAsync(1);
        await Expect(h1).ToHaveTextAsync(seed.Headline);

        var body = page.Locator(".article-body");
        foreach (var paragraph in seed.Paragraphs)
            await Expect(body.GetByText(paragraph, new() { Exact = true })).ToBeVisibleAsync();

        foreach (var related in seed.Related)
        {
            var link = body.GetByRole(AriaRole.Link, new() { Name = related.Headline, Exact = true });
            await Expect(link).ToBeVisibleAsync();
            await Expect(body.Locator(".related-link").Filter(new() { HasText = related.Headline }).Locator(".related-section")).ToHaveTextAsync(related.Section);
        }

        // Inside the body, with a paragraph of the article right before and right after it.
        const string module = "//div[contains(@class,'article-body')]/section[@data-signup]";
        var before = await page.Locator($"xpath={module}/preceding-sibling::*[1][self::p]").InnerTextAsync();
        var after = await page.Locator($"xpath={module}/following-sibling::*[1][self::p]").InnerTextAsync();
        Assert.Contains(before, seed.Paragraphs);
        Assert.Contains(after, seed.Paragraphs);
        Assert.True(seed.Paragraphs.IndexOf(before) < seed.Paragraphs.IndexOf(after));

        await reader.ExpectFormAsync();
        await Expect(reader.Module.GetByRole(AriaRole.Heading, new() { Name = seed.Heading, Exact = true })).ToBeVisibleAsync();
        await Expect(reader.Email).ToHaveAttributeAsync("required", "");
        await Expect(reader.Email).ToHaveAttributeAsync("type", "email");
        await Expect(reader.SubmitButton).ToBeVisibleAsync();
        await Expect(reader.Live).ToHaveTextAsync("");
    }
}
