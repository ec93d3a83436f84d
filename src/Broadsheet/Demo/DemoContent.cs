using Broadsheet.Articles;
using Broadsheet.Data;
using Broadsheet.Newsletters;
using Broadsheet.Site;
using Microsoft.EntityFrameworkCore;

namespace Broadsheet.Demo;

/// <summary>
/// Makes sure the default newsletter exists, and fills an empty site with our own demo newsletters and articles
/// when <c>Demo:Seed</c> is true (the development default), so a fresh clone shows a working site.
/// </summary>
public static class DemoContent
{
    public static async Task EnsureAsync(IServiceProvider services, SiteOptions site, bool seedDemo)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<BroadsheetDb>();
        var now = DateTime.UtcNow;

        if (seedDemo && !await db.Newsletters.AnyAsync() && !await db.Articles.AnyAsync())
        {
            db.Newsletters.AddRange(
                new Newsletter { Slug = site.DefaultNewsletter, Name = "The Morning Briefing", SortOrder = 1, CreatedAt = now,
                    Description = "The five stories you need before your first coffee, every weekday at 6am." },
                new Newsletter { Slug = "analysis-weekly", Name = "Analysis Weekly", SortOrder = 2, CreatedAt = now,
                    Description = "Our correspondents explain the week's biggest story in depth, every Friday." },
                new Newsletter { Slug = "opinion-digest", Name = "Opinion Digest", SortOrder = 3, CreatedAt = now,
                    Description = "The sharpest columns and letters from our opinion pages, twice a week." });
            foreach (var (headline, section, body, hoursAgo) in Articles)
            {
                var related = new List<RelatedLink>
                {
                    new() { Headline = "Why the harbour tunnel keeps slipping", Section = "Analysis", Url = "/articles/why-the-harbour-tunnel-keeps-slipping" },
                    new() { Headline = "Our city deserves better than another consultation", Section = "Opinion", Url = "/articles/our-city-deserves-better-than-another-consultation" },
                };
                db.Articles.Add(new Article
                {
                    Slug = Slugs.From(headline), Headline = headline, Section = section, BodyMarkdown = body,
                    BodyHtml = ArticleBody.Render(body, related), Related = related,
                    PublishedAt = now.AddHours(-hoursAgo), CreatedAt = now, UpdatedAt = now,
                });
            }
            await db.SaveChangesAsync();
        }

        if (!await db.Newsletters.AnyAsync(n => n.Slug == site.DefaultNewsletter))
        {
            db.Newsletters.Add(new Newsletter { Slug = site.DefaultNewsletter, Name = $"{site.Name} newsletter", CreatedAt = now });
            await db.SaveChangesAsync();
        }
    }

    private static readonly (string Headline, string Section, string Body, int HoursAgo)[] Articles =
    [
        ("Council approves night buses for the river districts", "News",
            """
            The city council voted 31 to 9 on Tuesday to run night buses through the three river districts from March, ending a decade in which the last service left the centre at 11.40pm.

            The new routes will run every 20 minutes between midnight and 5am on weekends and every 40 minutes on weekdays, the transport committee said.

            Shift workers at the hospital and the port had campaigned for the change for years. "Half of our night staff drive because they have no choice," said a nurses' representative.

            The service will cost an estimated 4.2 million a year, paid for by a rise in parking charges in the centre.

            Opposition councillors said the estimate was optimistic and asked for a review after twelve months, which the committee accepted.

            Bus operators have until January to bid for the contract. The first routes are expected to start on March 2.
            """, 2),
        ("Why the harbour tunnel keeps slipping", "Analysis",
            """
            The harbour tunnel was meant to open in 2024. It is now due in 2028, and the reasons are more mundane than the rumours suggest.

            Soil surveys in the second year found softer ground than the original plans assumed, which meant a slower boring method for a third of the route.

            Then came the contract dispute. The consortium and the port authority spent fourteen months arguing over who pays for the delay.

            {{signup}}

            None of this is unusual for a project of this size, engineers say. What is unusual is how little the public was told while it happened.
            """, 20),
        ("Our city deserves better than another consultation", "Opinion",
            """
            Every few years the city asks us what we want from the waterfront. Every few years we answer. And every few years the answer goes into a drawer.

            The latest consultation, launched this week, asks the same questions as the one in 2019.

            We already know what people want: somewhere to walk, somewhere to sit, and a way to get there that does not involve a motorway crossing.

            What we need now is a council willing to spend the money. Another survey is not a plan.
            """, 30),
        ("Library opening hours extended after volunteers step in", "News",
            """
            The central library will stay open until 9pm on weekdays from next month after more than 200 residents volunteered to staff the evening shifts.

            The library had cut its hours in 2022 to save money.

            Volunteers will be trained by the library's permanent staff, who will remain responsible for the building.
            """, 50),
    ];
}
