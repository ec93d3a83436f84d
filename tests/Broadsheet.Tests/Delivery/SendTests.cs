using System.Net;
using System.Text.RegularExpressions;
using Broadsheet.Delivery;
using Broadsheet.Editions;
using Broadsheet.Signup;
using Broadsheet.Site;
using Broadsheet.Subscribers;
using Broadsheet.Tests.Infrastructure;
using Broadsheet.Tests.Subscribers;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;
using MimeKit.Cryptography;
using SmtpServer.Protocol;

namespace Broadsheet.Tests.Delivery;

/// <summary>Sends on the shared app: who gets an edition, what each message carries, and what happens to refusals.</summary>
public abstract partial class SendTests(AppFixture app)
{
    private BroadsheetServer Server => app.Server;

    [Fact]
    public async Task Every_subscriber_gets_one_message_signed_by_the_domain_s_RSA_and_Ed25519_keys_with_list_headers_and_a_VERP_sender()
    {
        var tag = Audience.NewTag();
        var domain = $"{tag}.news.example";
        var newsletter = await Sends.NewsletterAsync(Server, tag);
        var key = await Sends.SigningKeyAsync(Server, domain);
        var ed25519 = await Sends.SigningKeyAsync(Server, domain, DkimAlgorithm.Ed25519Sha256, "ed1");
        var readers = await Sends.SubscribersAsync(Server, newsletter, "all", 30);
        var edition = await Sends.EditionAsync(Server, newsletter);

        var (status, body) = await Sends.ActAsync(Server, edition.Id, "send");
        Assert.Equal(HttpStatusCode.Accepted, status);
        Assert.Equal("sending", body.GetProperty("status").GetString());
        Assert.Equal(30, body.GetProperty("audience").GetInt64());
        await Sends.WaitForAsync(Server, edition.Id, EditionStatus.Sent);

        var messages = app.Smtp.Messages.Where(m => m.Subject == edition.Subject).ToList();
        Assert.All(Sends.Received(messages, readers), r => Assert.Equal(1, r.Value));
        Assert.Equal(30, messages.Count);
        var records = await Sends.RecordsAsync(Server, edition.Id);
        Assert.Equal(30, records.Count);
        Assert.All(records, r => Assert.Equal(DeliveryStatus.Sent, r.Status));
        Assert.Equal(30, messages.Select(m => m.MessageId).Distinct().Count());

        var verp = new VerpAddress(await Server.QueryAsync(async db => Convert.FromBase64String((await db.Set<Setting>().SingleAsync(s => s.Key == "verp-hmac-key")).Value)), "bounces@bounce.example");
        var verifier = new DkimVerifier(new Sends.PublishedKey(key, ed25519));
        foreach (var m in messages)
        {
            var record = records.Single(r => r.Email == m.To.Mailboxes.Single().Address);
            Assert.Equal(("The Briefing Desk", $"briefing@{domain}"), (m.From.Mailboxes.Single().Name, m.From.Mailboxes.Single().Address));
            Assert.Equal($"letters@{domain}", m.ReplyTo.Mailboxes.Single().Address);
            Assert.EndsWith("@" + domain, m.MessageId);
            Assert.InRange(m.Date, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(1));
            Assert.Equal($"Briefing {tag} <{tag}.{domain}>", m.Headers["List-Id"]);
            Assert.Matches(@"^<https?://[^/>]+/unsubscribe/one-click\?t=[\w-]+>, <mailto:bounces\+unsubscribe@bounce\.example\?subject=unsubscribe%20[\w-]+>$", m.Headers["List-Unsubscribe"]);
            Assert.Equal("List-Unsubscribe=One-Click", m.Headers["List-Unsubscribe-Post"]);
            var signatures = m.Headers.Where(h => h.Id == HeaderId.DkimSignature).ToList();
            Assert.Equal(["a=rsa-sha256", "a=ed25519-sha256"], signatures.Select(h => h.Value.Split(';')[1].Trim()));
            Assert.All(signatures, h => Assert.True(verifier.Verify(m, h), "A DKIM signature does not verify: " + h.Value));
            Assert.All(signatures, h => Assert.Equal(ListHeaders.Signed.Select(n => n.ToLowerInvariant()),
                Regex.Match(h.Value, @"h=([^;]+);").Groups[1].Value.Replace("\r", "").Replace("\n", "").Replace(" ", "").Replace("\t", "").Split(':')));
            Assert.Contains("/unsubscribe?t=", m.TextBody);
            Assert.Contains("/preferences?o=", m.TextBody);
            Assert.Contains("/unsubscribe?t=", m.HtmlBody);

            var envelope = app.Smtp.EnvelopeFrom(m);
            Assert.Matches(@"^bounces\+\d+-[a-z2-7]{8}@bounce\.example$", envelope);
            Assert.Equal(record.Id, verp.TryRead(envelope));
            Assert.Null(verp.TryRead(envelope.Replace($"+{record.Id}-", $"+{record.Id + 1}-")));
        }

        // RFC 8058: mail providers post the List-Unsubscribe URL without cookies, as multipart/form-data or urlencoded.
        using var provider = Server.CreateClient();
        var forms = new HttpContent[]
        {
            new MultipartFormDataContent { { new StringContent("One-Click"), "List-Unsubscribe" } },
            new FormUrlEncodedContent(new Dictionary<string, string> { ["List-Unsubscribe"] = "One-Click" }),
        };
        for (var i = 0; i < forms.Length; i++)
        {
            var url = new Uri(OneClickUrl().Match(messages[i].Headers["List-Unsubscribe"]).Groups[1].Value);
            using var response = await provider.PostAsync(url.PathAndQuery, forms[i]);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Null(response.Headers.Location);
        }
        var unsubscribed = messages.Take(2).Select(m => m.To.Mailboxes.Single().Address).ToList();
        var statuses = await Server.QueryAsync(db => db.Subscriptions.Where(x => x.NewsletterId == newsletter.Id && unsubscribed.Contains(x.Subscriber.Email)).Select(x => x.Status).ToListAsync());
        Assert.Equal([SubscriptionStatus.Unsubscribed, SubscriptionStatus.Unsubscribed], statuses);

        // Each message's preference link signs its own reader in.
        using var reader = Server.CreateClient();
        foreach (var m in messages.Skip(2).Take(3))
            Assert.Contains($"Signed in as <strong>{m.To.Mailboxes.Single().Address}</strong>", await reader.GetStringAsync(PreferencesHttp.PreferencesLink(m)));
    }

    [Fact]
    public async Task The_audience_is_fixed_at_the_start_and_who_unsubscribes_later_is_skipped()
    {
        var newsletter = await Sends.NewsletterAsync(Server, Audience.NewTag());
        var readers = await Sends.SubscribersAsync(Server, newsletter, "reader", 3);
        var leaver = (await Sends.SubscribersAsync(Server, newsletter, "leaver", 1)).Single();
        var left = new List<Subscriber>();
        left.AddRange(await Sends.SubscribersAsync(Server, newsletter, "suppressed", 1, (s, _) => s.Status = SubscriberStatus.Suppressed));
        left.AddRange(await Sends.SubscribersAsync(Server, newsletter, "everything", 1, (s, _) => s.Status = SubscriberStatus.Unsubscribed));
        left.AddRange(await Sends.SubscribersAsync(Server, newsletter, "pending", 1, (_, x) => (x.Status, x.ConfirmedAt) = (SubscriptionStatus.Pending, null)));
        left.AddRange(await Sends.SubscribersAsync(Server, newsletter, "confirmed-late", 1, (_, x) => x.ConfirmedAt = DateTime.UtcNow));
        left.AddRange(await Sends.SubscribersAsync(Server, newsletter, "joined-late", 1, (_, x) => (x.CreatedAt, x.ConfirmedAt) = (DateTime.UtcNow, null)));

        var greylisting = true;
        app.Smtp.Reply = to => greylisting && to == leaver.Email ? new SmtpResponse((SmtpReplyCode)451, "greylisted, try later") : null;
        try
        {
            // Started a minute ago: the late subscriptions became active after that.
            var edition = await Sends.EditionAsync(Server, newsletter, e => (e.Status, e.StartedAt) = (EditionStatus.Sending, DateTime.UtcNow.AddMinutes(-1)));
            await Sends.WaitForRecordAsync(Server, edition.Id, leaver.Id, r => r is { Status: DeliveryStatus.Queued, Attempts: >= 1 });
            var token = Server.Services.GetRequiredService<SignupTokens>().ForUnsubscribe(leaver.Subscriptions.Single().Id);
            using var provider = Server.CreateClient();
            using var unsubscribe = await provider.PostAsync(OneClickUnsubscribe.Link(token), new FormUrlEncodedContent(new Dictionary<string, string> { ["List-Unsubscribe"] = "One-Click" }));
            Assert.Equal(HttpStatusCode.OK, unsubscribe.StatusCode);
            greylisting = false;

            await Sends.WaitForAsync(Server, edition.Id, EditionStatus.Sent);
            Assert.All(Sends.Received(app.Smtp.Messages, readers), r => Assert.Equal(1, r.Value));
            Assert.All(Sends.Received(app.Smtp.Messages, left.Append(leaver)), r => Assert.Equal(0, r.Value));
            var records = await Sends.RecordsAsync(Server, edition.Id);
            Assert.Equal(readers.Select(r => r.Id).Append(leaver.Id).Order(), records.Select(r => r.SubscriberId).Order());
            var skipped = records.Single(r => r.SubscriberId == leaver.Id);
            Assert.Equal(DeliveryStatus.Skipped, skipped.Status);
            Assert.Contains("unsubscribed", skipped.LastReply);

            var progress = (await Server.QueryAsync(db => EditionProgress.ReadAsync(db, Server.Services.GetRequiredService<DeliveryCounts>(), edition.Id, CancellationToken.None)))!;
            Assert.Equal((4, 3, 1, 0, 0), (progress.Audience, progress.Sent, progress.Skipped, progress.Failed, progress.Remaining));
        }
        finally
        {
            app.Smtp.Reply = _ => null;
        }
    }

    [Fact]
    public async Task A_segment_narrows_the_audience()
    {
        var newsletter = await Sends.NewsletterAsync(Server, Audience.NewTag());
        var analysis = await Sends.SubscribersAsync(Server, newsletter, "analysis", 2, (s, _) => s.SourceSection = "Analysis");
        var news = await Sends.SubscribersAsync(Server, newsletter, "news", 2, (s, _) => s.SourceSection = "News");
        var segment = new Segment { Name = newsletter.Slug, Filter = new SubscriberFilter { Section = "Analysis" }.ToJson(), CreatedBy = "test", CreatedAt = DateTime.UtcNow };
        await Server.QueryAsync(db =>
        {
            db.Segments.Add(segment);
            return db.SaveChangesAsync();
        });
        var edition = await Sends.EditionAsync(Server, newsletter, e => e.SegmentId = segment.Id);

        var (status, body) = await Sends.ActAsync(Server, edition.Id, "send");
        Assert.Equal(HttpStatusCode.Accepted, status);
        Assert.Equal(2, body.GetProperty("audience").GetInt64());
        await Sends.WaitForAsync(Server, edition.Id, EditionStatus.Sent);
        Assert.All(Sends.Received(app.Smtp.Messages, analysis), r => Assert.Equal(1, r.Value));
        Assert.All(Sends.Received(app.Smtp.Messages, news), r => Assert.Equal(0, r.Value));
    }

    [Fact]
    public async Task Permanent_refusals_are_recorded_with_the_reply_and_retry_failed_resends_just_those()
    {
        var newsletter = await Sends.NewsletterAsync(Server, Audience.NewTag());
        var readers = await Sends.SubscribersAsync(Server, newsletter, "reader", 5);
        var refused = readers.Take(2).Select(r => r.Email).ToHashSet();
        var refusing = true;
        app.Smtp.Reply = to => refusing && refused.Contains(to) ? new SmtpResponse(SmtpReplyCode.MailboxUnavailable, "no such user here") : null;
        try
        {
            var edition = await Sends.EditionAsync(Server, newsletter);
            Assert.Equal(HttpStatusCode.Accepted, (await Sends.ActAsync(Server, edition.Id, "send")).Status);
            await Sends.WaitForAsync(Server, edition.Id, EditionStatus.Sent);

            var records = await Sends.RecordsAsync(Server, edition.Id);
            Assert.All(records.Where(r => refused.Contains(r.Email)), r =>
            {
                Assert.Equal((DeliveryStatus.Failed, 1), (r.Status, r.Attempts));
                Assert.Contains("550", r.LastReply);
                Assert.Contains("no such user here", r.LastReply);
            });
            Assert.All(records.Where(r => !refused.Contains(r.Email)), r => Assert.Equal(DeliveryStatus.Sent, r.Status));
            Assert.All(Sends.Received(app.Smtp.Messages, readers), r => Assert.Equal(refused.Contains(r.Key) ? 0 : 1, r.Value));

            refusing = false;
            var (status, body) = await Sends.ActAsync(Server, edition.Id, "retry-failed");
            Assert.Equal(HttpStatusCode.Accepted, status);
            Assert.Equal("sending", body.GetProperty("status").GetString());
            await Sends.WaitForAsync(Server, edition.Id, EditionStatus.Sent);
            Assert.All(Sends.Received(app.Smtp.Messages, readers), r => Assert.Equal(1, r.Value));
            Assert.All(await Sends.RecordsAsync(Server, edition.Id), r => Assert.Equal(DeliveryStatus.Sent, r.Status));
        }
        finally
        {
            app.Smtp.Reply = _ => null;
        }
    }

    [GeneratedRegex("<(https?://[^>]+)>")]
    private static partial Regex OneClickUrl();
}

[Collection(SqliteCollection.Name)]
public sealed class SendTestsOnSqlite(SqliteApp app) : SendTests(app);

[Collection(PostgresCollection.Name)]
public sealed class SendTestsOnPostgres(PostgresApp app) : SendTests(app);
