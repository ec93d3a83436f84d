using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Broadsheet.Delivery;
using Broadsheet.Editions;
using Broadsheet.Newsletters;
using Broadsheet.Subscribers;
using Broadsheet.Tests.Admin;
using Broadsheet.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Broadsheet.Tests.Editions;

/// <summary>
/// What the console's edition tests arrange: articles, a newsletter with a known audience, editions made through
/// the form, and delivery records written straight into the database as a send engine would write them.
/// </summary>
public static partial class EditionsHttp
{
    /// <summary>Another node's name: editions and records it holds are left alone by this app's send engine.</summary>
    public const string OtherNode = "another-node";

    public static string NewTag() => "e" + Guid.NewGuid().ToString("N")[..10];

    /// <summary>Publishes an article through the API and returns its id.</summary>
    public static async Task<int> PublishAsync(BroadsheetServer server, string headline, string section = "World")
    {
        using var api = server.CreateClient(admin: true);
        using var response = await api.PostAsJsonAsync("/api/articles", new { headline, section, body = $"A first paragraph about {headline}.\n\nA second one." });
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("id").GetInt32();
    }

    /// <summary>
    /// A newsletter of its own with <paramref name="active"/> active readers, plus readers who must not count: one
    /// pending, one unsubscribed, and one active subscription of a suppressed subscriber.
    /// </summary>
    public static async Task<Newsletter> NewsletterAsync(BroadsheetServer server, string tag, int active)
    {
        var newsletter = await server.QueryAsync(async db =>
        {
            var now = DateTime.UtcNow;
            var n = new Newsletter { Slug = $"news-{tag}", Name = $"Letter {tag}", CreatedAt = now, ScheduleTimeZone = "Europe/Berlin" };
            db.Newsletters.Add(n);
            await db.SaveChangesAsync();
            var readers = Enumerable.Range(0, active).Select(i => (i, SubscriberStatus.Active, SubscriptionStatus.Active))
                .Append((active, SubscriberStatus.Active, SubscriptionStatus.Pending))
                .Append((active + 1, SubscriberStatus.Active, SubscriptionStatus.Unsubscribed))
                .Append((active + 2, SubscriberStatus.Suppressed, SubscriptionStatus.Active));
            foreach (var (i, status, subscription) in readers)
            {
                var email = $"{tag}-{i}@example.com";
                var s = new Subscriber { Email = email, NormalizedEmail = email, Status = status, CreatedAt = now };
                s.Subscriptions.Add(new Subscription { NewsletterId = n.Id, Status = subscription, CreatedAt = now });
                db.Subscribers.Add(s);
            }
            await db.SaveChangesAsync();
            return n;
        });
        server.Services.GetRequiredService<NewsletterDirectory>().Forget(); // written behind the app's back
        return newsletter;
    }

    /// <summary>Posts the new-edition form; returns the answer (a redirect to the edition when it worked).</summary>
    public static async Task<HttpResponseMessage> PostNewAsync(HttpClient editor, string newsletter, string subject, IEnumerable<(int Id, int? Position)> articles, params (string, string)[] more)
    {
        var fields = new List<KeyValuePair<string, string>>
        {
            new("__RequestVerificationToken", await ConsoleHttp.TokenAsync(editor, "/admin/editions/new")),
            new("newsletter", newsletter), new("subject", subject), new("preheader", ""), new("intro", ""), new("content", "articles"), new("segment", ""),
        };
        foreach (var (id, position) in articles)
        {
            fields.Add(new("articleIds", id.ToString()));
            if (position is { } p) fields.Add(new($"position-{id}", p.ToString()));
        }
        foreach (var (key, value) in more)
        {
            fields.RemoveAll(f => f.Key == key);
            fields.Add(new(key, value));
        }
        return await editor.PostAsync("/admin/editions/new", new FormUrlEncodedContent(fields));
    }

    /// <summary>Creates a draft through the form and returns its id.</summary>
    public static async Task<long> CreateAsync(HttpClient editor, string newsletter, string subject, params int[] articleIds)
    {
        using var response = await PostNewAsync(editor, newsletter, subject, articleIds.Select(id => (id, (int?)null)));
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        return EditionId(response);
    }

    public static long EditionId(HttpResponseMessage response)
    {
        var match = EditionPath().Match(response.Headers.Location!.PathAndQuery());
        Assert.True(match.Success, $"Redirected to {response.Headers.Location} instead of an edition.");
        return long.Parse(match.Groups[1].Value);
    }

    /// <summary>Posts to one of an edition's forms with a token from its page, fields as given.</summary>
    public static async Task<HttpResponseMessage> PostAsync(HttpClient client, long edition, string action, params (string Key, string Value)[] fields)
    {
        var values = fields.Select(f => new KeyValuePair<string, string>(f.Key, f.Value))
            .Append(new("__RequestVerificationToken", await ConsoleHttp.TokenAsync(client, $"/admin/editions/{edition}")));
        return await client.PostAsync(action, new FormUrlEncodedContent(values));
    }

    /// <summary>
    /// Holds the edition's audience-writing lease for another node, as a node does mid-send: this app's send engine
    /// then adds nobody and never finishes the edition, so the test decides every delivery record.
    /// </summary>
    public static Task HoldLeaseAsync(BroadsheetServer server, long edition) =>
        server.QueryAsync(db => db.Editions.Where(e => e.Id == edition).ExecuteUpdateAsync(u => u
            .SetProperty(e => e.LeaseOwner, OtherNode).SetProperty(e => e.LeaseUntil, DateTime.UtcNow.AddHours(1))));

    /// <summary>An edition that started sending a minute ago to an audience of <paramref name="audience"/>, its lease held elsewhere.</summary>
    public static async Task<long> SendingAsync(BroadsheetServer server, Newsletter newsletter, string subject, long audience)
    {
        var id = await server.QueryAsync(async db =>
        {
            var now = DateTime.UtcNow;
            var e = new Edition
            {
                NewsletterId = newsletter.Id, Subject = subject, CreatedBy = "test", CreatedAt = now.AddMinutes(-2), UpdatedAt = now,
                Status = EditionStatus.Sending, StartedAt = now.AddMinutes(-1), AudienceSize = audience,
                // Held from the first moment: a lease taken a moment later left the app's audience writer time to
                // take the edition and write its (empty) audience first.
                LeaseOwner = OtherNode, LeaseUntil = now.AddHours(1),
            };
            db.Editions.Add(e);
            await db.SaveChangesAsync();
            return e.Id;
        });
        return id;
    }

    /// <summary>
    /// Adds delivery records: sent ones ten seconds ago, failed ones with <paramref name="reply"/>, queued ones claimed
    /// by another node for an hour (so no send engine takes them).
    /// </summary>
    public static Task AddDeliveriesAsync(BroadsheetServer server, long edition, DeliveryStatus status, int count, string? reply = null) =>
        server.QueryAsync(async db =>
        {
            var now = DateTime.UtcNow;
            var first = await db.Deliveries.Where(d => d.EditionId == edition).MaxAsync(d => (long?)d.SubscriberId) ?? 0;
            for (var i = 1; i <= count; i++)
            {
                db.Deliveries.Add(new DeliveryRecord
                {
                    EditionId = edition, SubscriberId = first + i, SubscriptionId = first + i, Email = $"recipient-{first + i}.{edition}@example.com",
                    Status = status, Attempts = status == DeliveryStatus.Queued ? 0 : 1, NextAttemptAt = now, LastReply = reply,
                    SentAt = status == DeliveryStatus.Sent ? now.AddSeconds(-10) : null,
                    ClaimedUntil = status == DeliveryStatus.Queued ? now.AddHours(1) : null,
                });
            }
            return await db.SaveChangesAsync();
        });

    /// <summary>Marks <paramref name="count"/> queued records of an edition sent now, as a sender would.</summary>
    public static Task<int> SendQueuedAsync(BroadsheetServer server, long edition, int count) =>
        server.QueryAsync(async db =>
        {
            var ids = await db.Deliveries.Where(d => d.EditionId == edition && d.Status == DeliveryStatus.Queued).OrderBy(d => d.Id).Take(count).Select(d => d.Id).ToListAsync();
            return await db.Deliveries.Where(d => ids.Contains(d.Id)).ExecuteUpdateAsync(u => u
                .SetProperty(d => d.Status, DeliveryStatus.Sent).SetProperty(d => d.SentAt, DateTime.UtcNow).SetProperty(d => d.Attempts, 1));
        });

    public static Task<Edition> EditionAsync(BroadsheetServer server, long id) =>
        server.QueryAsync(db => db.Editions.AsNoTracking().SingleAsync(e => e.Id == id));

    /// <summary>The text of the progress figure <paramref name="name"/> on an edition page.</summary>
    public static string Field(string html, string name)
    {
        var match = Regex.Match(html, $"data-field=\"{Regex.Escape(name)}\"[^>]*>([^<]*)<");
        Assert.True(match.Success, $"No progress field {name} on the page.");
        return WebUtility.HtmlDecode(match.Groups[1].Value);
    }

    /// <summary>The text of the field error <paramref name="field"/> beside a form field.</summary>
    public static string FieldError(string html, string field)
    {
        var match = Regex.Match(html, $"<div id=\"{Regex.Escape(field)}-error\" class=\"field-error\"[^>]*>([^<]*)</div>");
        Assert.True(match.Success, $"No error slot for {field} on the page.");
        return WebUtility.HtmlDecode(match.Groups[1].Value);
    }

    [GeneratedRegex(@"^/admin/editions/(\d+)$")]
    private static partial Regex EditionPath();
}
