using System.Text.RegularExpressions;
using Broadsheet.Subscribers;
using Broadsheet.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Broadsheet.Tests.Subscribers;

/// <summary>Subscribers written straight into the app's database, tagged so one test's filter finds only its own.</summary>
public static partial class Audience
{
    /// <summary>A tag no other test uses; it goes into addresses and the source page.</summary>
    public static string NewTag() => "t" + Guid.NewGuid().ToString("N")[..10];

    /// <summary>
    /// Adds <paramref name="count"/> subscribers <c>TAG-000@example.com</c>… signed up from <c>/TAG/article</c>, three per
    /// sign-up instant (to exercise keyset ties), an hour apart from 2021-03-01; even ones active in the default
    /// newsletter, every third pending in the second.
    /// </summary>
    public static async Task<List<Subscriber>> AddAsync(BroadsheetServer server, string tag, int count)
    {
        return await server.QueryAsync(async db =>
        {
            var newsletters = await db.Newsletters.Where(n => n.Slug == TestData.Default || n.Slug == TestData.Second).ToDictionaryAsync(n => n.Slug, n => n.Id);
            var start = new DateTime(2021, 3, 1, 0, 0, 0, DateTimeKind.Utc);
            var added = new List<Subscriber>();
            for (var i = 0; i < count; i++)
            {
                var email = $"{tag}-{i:000}@example.com";
                var s = new Subscriber
                {
                    Email = email, NormalizedEmail = email, Name = $"Reader {i:000} {tag}", CreatedAt = start.AddHours(i / 3),
                    Source = $"https://news.example/{tag}/article-{i % 2}", Attributes = $$"""{"index":"{{i}}"}""",
                };
                if (i % 2 == 0) s.Subscriptions.Add(new Subscription { NewsletterId = newsletters[TestData.Default], Status = SubscriptionStatus.Active, CreatedAt = s.CreatedAt });
                if (i % 3 == 0) s.Subscriptions.Add(new Subscription { NewsletterId = newsletters[TestData.Second], Status = SubscriptionStatus.Pending, CreatedAt = s.CreatedAt });
                db.Subscribers.Add(s);
                added.Add(s);
            }
            await db.SaveChangesAsync();
            return added;
        });
    }

    /// <summary>The addresses listed on a console subscriber page, in order.</summary>
    public static List<string> Listed(string html) => [.. RowLink().Matches(html).Select(m => System.Net.WebUtility.HtmlDecode(m.Groups[2].Value))];

    /// <summary>The "N subscribers match" figure of a console subscriber page.</summary>
    public static long Total(string html) => long.Parse(TotalFigure().Match(html).Groups[1].Value.Replace(",", ""), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The link to the next page, if any.</summary>
    public static string? NextPage(string html) => NextLink().Match(html) is { Success: true } m ? System.Net.WebUtility.HtmlDecode(m.Groups[1].Value) : null;

    [GeneratedRegex("""<td><a href="/admin/subscribers/(\d+)">([^<]+)</a></td>""")]
    private static partial Regex RowLink();

    [GeneratedRegex("""<strong data-total>([\d,]+)</strong>""")]
    private static partial Regex TotalFigure();

    [GeneratedRegex("""<a href="([^"]+)" rel="next">""")]
    private static partial Regex NextLink();
}
