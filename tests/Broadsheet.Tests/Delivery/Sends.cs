using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Broadsheet.Delivery;
using Broadsheet.Editions;
using Broadsheet.Newsletters;
using Broadsheet.Subscribers;
using Broadsheet.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using MimeKit;
using MimeKit.Cryptography;
using Org.BouncyCastle.Crypto;

namespace Broadsheet.Tests.Delivery;

/// <summary>Arranges sends straight in the app's database (newsletters, subscribers, editions) and follows them through the API and the database.</summary>
public static class Sends
{
    /// <summary>A newsletter of its own, sending from <c>briefing@TAG.news.example</c>, so tests never share recipients.</summary>
    public static async Task<Newsletter> NewsletterAsync(BroadsheetServer server, string tag)
    {
        var newsletter = new Newsletter
        {
            Slug = tag, Name = $"Briefing {tag}", DoubleOptIn = false, CreatedAt = DateTime.UtcNow,
            SenderName = "The Briefing Desk", SenderEmail = $"briefing@{tag}.news.example", ReplyTo = $"letters@{tag}.news.example",
        };
        await server.QueryAsync(db =>
        {
            db.Newsletters.Add(newsletter);
            return db.SaveChangesAsync();
        });
        return newsletter;
    }

    /// <summary>
    /// Subscribers <c>TAG-NAME-000@example.com</c>… with an active subscription to <paramref name="newsletter"/> since
    /// yesterday; <paramref name="shape"/> may change each before it is saved.
    /// </summary>
    public static async Task<List<Subscriber>> SubscribersAsync(BroadsheetServer server, Newsletter newsletter, string name, int count, Action<Subscriber, Subscription>? shape = null)
    {
        var since = DateTime.UtcNow.AddDays(-1);
        var added = new List<Subscriber>();
        for (var i = 0; i < count; i++)
        {
            var email = $"{newsletter.Slug}-{name}-{i:000}@example.com";
            var subscription = new Subscription { NewsletterId = newsletter.Id, Status = SubscriptionStatus.Active, CreatedAt = since, ConfirmedAt = since };
            var subscriber = new Subscriber { Email = email, NormalizedEmail = email, Name = $"Reader {i:000}", CreatedAt = since, Subscriptions = [subscription] };
            shape?.Invoke(subscriber, subscription);
            added.Add(subscriber);
        }
        await server.QueryAsync(db =>
        {
            db.Subscribers.AddRange(added);
            return db.SaveChangesAsync();
        });
        return added;
    }

    public static async Task<Edition> EditionAsync(BroadsheetServer server, Newsletter newsletter, Action<Edition>? shape = null)
    {
        var now = DateTime.UtcNow;
        var edition = new Edition { NewsletterId = newsletter.Id, Subject = $"Today in {newsletter.Name}", Preheader = "Five stories", CreatedBy = "test", CreatedAt = now, UpdatedAt = now };
        shape?.Invoke(edition);
        await server.QueryAsync(db =>
        {
            db.Editions.Add(edition);
            return db.SaveChangesAsync();
        });
        return edition;
    }

    /// <summary>Generates and stores an active DKIM key for <paramref name="domain"/>.</summary>
    public static async Task<DkimKey> SigningKeyAsync(BroadsheetServer server, string domain, DkimAlgorithm algorithm = DkimAlgorithm.RsaSha256, string selector = "bs1")
    {
        var key = DkimKey.Generate(domain, selector, algorithm);
        await server.QueryAsync(db =>
        {
            db.SigningKeys.Add(new SigningKey { Domain = key.Domain, Selector = key.Selector, PrivateKeyPem = key.PrivateKeyPem, CreatedAt = DateTime.UtcNow, CreatedBy = "test" });
            return db.SaveChangesAsync();
        });
        return key;
    }

    /// <summary>Posts <c>/api/editions/{id}/ACTION</c> as the admin and returns the answer with its JSON.</summary>
    public static async Task<(HttpStatusCode Status, JsonElement Body)> ActAsync(BroadsheetServer server, long id, string action, HttpClient? client = null)
    {
        using var own = client is null ? server.CreateClient(admin: true) : null;
        using var response = await (client ?? own!).PostAsync($"/api/editions/{id}/{action}", null);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length > 0 ? JsonDocument.Parse(text).RootElement.Clone() : default);
    }

    public static Task<Edition> ReadAsync(BroadsheetServer server, long id) =>
        server.QueryAsync(db => db.Editions.AsNoTracking().SingleAsync(e => e.Id == id));

    public static Task<List<DeliveryRecord>> RecordsAsync(BroadsheetServer server, long id) =>
        server.QueryAsync(db => db.Deliveries.AsNoTracking().Where(d => d.EditionId == id).OrderBy(d => d.SubscriberId).ToListAsync());

    /// <summary>Waits until the edition reaches <paramref name="status"/>.</summary>
    public static async Task<Edition> WaitForAsync(BroadsheetServer server, long id, EditionStatus status, TimeSpan? timeout = null)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var edition = await ReadAsync(server, id);
            if (edition.Status == status) return edition;
            if (clock.Elapsed > (timeout ?? TimeSpan.FromSeconds(30)))
            {
                var records = await RecordsAsync(server, id);
                var summary = string.Join(", ", records.GroupBy(r => r.Status).Select(g => $"{g.Key} {g.Count()}"));
                throw new TimeoutException($"Edition {id} is {edition.Status} ({edition.PausedReason}), not {status}; records: {summary}; last reply: {records.LastOrDefault(r => r.LastReply != null)?.LastReply}.");
            }
            await Task.Delay(100);
        }
    }

    /// <summary>Waits until the delivery record of <paramref name="subscriberId"/> matches.</summary>
    public static async Task<DeliveryRecord> WaitForRecordAsync(BroadsheetServer server, long editionId, long subscriberId, Func<DeliveryRecord, bool> predicate)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var record = await server.QueryAsync(db => db.Deliveries.AsNoTracking().FirstOrDefaultAsync(d => d.EditionId == editionId && d.SubscriberId == subscriberId));
            if (record is not null && predicate(record)) return record;
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"The delivery record of subscriber {subscriberId} is {record?.Status} after {record?.Attempts} attempt(s).");
            await Task.Delay(50);
        }
    }

    /// <summary>How many messages each address received in <paramref name="messages"/>.</summary>
    public static Dictionary<string, int> Received(IEnumerable<MimeMessage> messages, IEnumerable<Subscriber> subscribers)
    {
        var counts = subscribers.ToDictionary(s => s.Email, _ => 0, StringComparer.OrdinalIgnoreCase);
        foreach (var to in messages.SelectMany(m => m.To.Mailboxes).Select(b => b.Address))
            if (counts.ContainsKey(to)) counts[to]++;
        return counts;
    }

    /// <summary>Answers DNS lookups from the records we would publish, as a receiver's resolver would.</summary>
    public sealed class PublishedKey(params DkimKey[] keys) : DkimPublicKeyLocatorBase
    {
        public override AsymmetricKeyParameter LocatePublicKey(string methods, string domain, string selector, CancellationToken ct = default) =>
            keys.FirstOrDefault(k => domain == k.Domain && selector == k.Selector) is { } key ? GetPublicKey(key.DnsValue) : throw new InvalidOperationException("no such record");

        public override Task<AsymmetricKeyParameter> LocatePublicKeyAsync(string methods, string domain, string selector, CancellationToken ct = default) =>
            Task.FromResult(LocatePublicKey(methods, domain, selector, ct));
    }
}
