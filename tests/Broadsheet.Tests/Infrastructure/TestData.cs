using System.Net.Http.Json;
using Broadsheet.Newsletters;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Broadsheet.Tests.Infrastructure;

/// <summary>Content the tests need, written by us; the seed article is read from shared/ when a test wants it.</summary>
public static class TestData
{
    /// <summary>The site's default newsletter (double opt-in), a second public one, and one without double opt-in.</summary>
    public const string Default = "morning-briefing";
    public const string Second = "analysis-weekly";
    public const string SingleOptIn = "breaking-alerts";

    public static async Task EnsureNewslettersAsync(BroadsheetServer server)
    {
        await server.QueryAsync(async db =>
        {
            var now = DateTime.UtcNow;
            foreach (var (slug, name, doubleOptIn) in new[] { (Default, "The Morning Briefing", true), (Second, "Analysis Weekly", true), (SingleOptIn, "Breaking Alerts", false) })
            {
                var existing = await db.Newsletters.FirstOrDefaultAsync(n => n.Slug == slug);
                if (existing is null) db.Newsletters.Add(new Newsletter { Slug = slug, Name = name, DoubleOptIn = doubleOptIn, CreatedAt = now, Description = $"{name}, for tests." });
                else existing.Name = name;
            }
            return await db.SaveChangesAsync();
        });
        server.Services.GetRequiredService<NewsletterDirectory>().Forget(); // written behind the app's back
    }

    /// <summary>A fresh address no other test uses.</summary>
    public static string NewEmail(string tag = "reader") => $"{tag}.{Guid.NewGuid():N}@example.com";

    /// <summary>
    /// Publishes the seed article through the API: its headline, its paragraphs as the body, and its two related
    /// links with their section labels.
    /// </summary>
    public static async Task<(int Id, string Url, SeedArticle Seed)> PublishSeedAsync(BroadsheetServer server)
    {
        var seed = SeedArticle.Parse(TestEnvironment.SeedText);
        using var client = server.CreateClient(admin: true);
        var response = await client.PostAsJsonAsync("/api/articles", new
        {
            headline = seed.Headline,
            section = "News",
            body = string.Join("\n\n", seed.Paragraphs),
            related = seed.Related.Select(r => new { headline = r.Headline, section = r.Section, url = "/articles/" + Guid.NewGuid().ToString("N") }),
        });
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();
        return (body.GetProperty("id").GetInt32(), body.GetProperty("url").GetString()!, seed);
    }
}
