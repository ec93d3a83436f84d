using System.Net;
using System.Net.Http.Json;
using Broadsheet.Admin;
using Broadsheet.Delivery;
using Broadsheet.Editions;
using Broadsheet.Tests.Admin;
using Broadsheet.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Broadsheet.Tests.Editions;

/// <summary>The console's edition pages over HTTP on each database: compose, preview, test send, schedule, the send controls, progress, and a viewer's limits.</summary>
public abstract class EditionConsoleTests(AppFixture app)
{
    private BroadsheetServer Server => app.Server;

    [Fact]
    public async Task The_form_shows_errors_beside_fields_then_creates_a_draft_with_the_articles_in_the_chosen_order()
    {
        var tag = EditionsHttp.NewTag();
        var newsletter = await EditionsHttp.NewsletterAsync(Server, tag, active: 1);
        var first = await EditionsHttp.PublishAsync(Server, $"Harbour reopens {tag}");
        var second = await EditionsHttp.PublishAsync(Server, $"Council votes {tag}", "Politics");
        var (editor, editorEmail) = await ConsoleHttp.SignedInAsync(Server, AdminRole.Editor);
        using var _e = editor;

        var form = await editor.GetStringAsync($"/admin/editions/new?newsletter={newsletter.Slug}");
        Assert.Contains($"Include Harbour reopens {tag}", form);
        Assert.Matches($"<option value=\"{newsletter.Slug}\" selected=\"selected\">", form);
        Assert.Matches($"data-digest-for=\"{newsletter.Slug}\">Letter {tag}: [1-9][0-9]* articles", form); // ours at least

        using (var bad = await EditionsHttp.PostNewAsync(editor, newsletter.Slug, "  ", []))
        {
            Assert.Equal(HttpStatusCode.OK, bad.StatusCode);
            var html = await bad.Content.ReadAsStringAsync();
            Assert.Equal("A subject is required.", EditionsHttp.FieldError(html, "subject"));
            Assert.Equal("Choose at least one article, or write an intro.", EditionsHttp.FieldError(html, "articleIds"));
            Assert.Contains("id=\"subject\" name=\"subject\" type=\"text\" maxlength=\"300\" value=\"  \" aria-invalid=\"true\"", html);
        }
        using (var unknown = await EditionsHttp.PostNewAsync(editor, newsletter.Slug, "Fine subject", [(int.MaxValue, null)], ("segment", "999999")))
        {
            var html = await unknown.Content.ReadAsStringAsync();
            Assert.Equal($"No such article: {int.MaxValue}.", EditionsHttp.FieldError(html, "articleIds"));
            Assert.Equal("There is no segment 999999.", EditionsHttp.FieldError(html, "segment"));
            Assert.Contains("value=\"Fine subject\"", html); // what was typed stays
        }
        using (var nowhere = await EditionsHttp.PostNewAsync(editor, "no-such-newsletter", "Subject", [(first, null)]))
            Assert.Equal("Choose a newsletter.", EditionsHttp.FieldError(await nowhere.Content.ReadAsStringAsync(), "newsletter"));
        Assert.False(await Server.QueryAsync(db => db.Editions.AnyAsync(e => e.NewsletterId == newsletter.Id)));

        using var digest = await EditionsHttp.PostNewAsync(editor, newsletter.Slug, $"Digest {tag}", [], ("content", "digest"));
        var digestEdition = await EditionsHttp.EditionAsync(Server, EditionsHttp.EditionId(digest));
        Assert.True(digestEdition.IsDigest);
        Assert.Contains(first, digestEdition.ArticleIds);
        Assert.Contains(second, digestEdition.ArticleIds);
        using (var api = Server.CreateClient(admin: true))
            (await api.PostAsync($"/api/editions/{digestEdition.Id}/send", null)).EnsureSuccessStatusCode(); // a draft would not count
        using (var empty = await EditionsHttp.PostNewAsync(editor, newsletter.Slug, $"Digest again {tag}", [], ("content", "digest")))
            Assert.Equal("No articles have been published since the last edition.", EditionsHttp.FieldError(await empty.Content.ReadAsStringAsync(), "digest"));

        // Ticked first, second; numbered 2, 1: the numbers decide.
        using var created = await EditionsHttp.PostNewAsync(editor, newsletter.Slug, $"Tuesday {tag}", [(first, 2), (second, 1)], ("intro", "Good *morning*."));
        var id = EditionsHttp.EditionId(created);
        var edition = await EditionsHttp.EditionAsync(Server, id);
        Assert.Equal([second, first], edition.ArticleIds);
        Assert.Equal(EditionStatus.Draft, edition.Status);
        Assert.Equal(editorEmail, edition.CreatedBy);
        Assert.Contains("<em>morning</em>", edition.IntroHtml);


        var list = await editor.GetStringAsync($"/admin/editions?newsletter={newsletter.Slug}");
        Assert.Contains($">Tuesday {tag}</a>", list);
        Assert.Contains($">Digest {tag}</a>", list);
        Assert.DoesNotContain($">Tuesday {tag}</a>", await editor.GetStringAsync($"/admin/editions?newsletter={newsletter.Slug}&status=Sent"));
        Assert.True(await Server.QueryAsync(db => db.AuditEntries.AnyAsync(a => a.Action == "edition.create" && a.Target == id.ToString() && a.Actor == editorEmail)));
    }

    [Fact]
    public async Task Preview_as_the_reader_sees_it_edit_and_test_send()
    {
        var tag = EditionsHttp.NewTag();
        var newsletter = await EditionsHttp.NewsletterAsync(Server, tag, active: 1);
        var article = await EditionsHttp.PublishAsync(Server, $"Lighthouse keeper retires {tag}");
        var (editor, _) = await ConsoleHttp.SignedInAsync(Server, AdminRole.Editor);
        using var _e = editor;
        var id = await EditionsHttp.CreateAsync(editor, newsletter.Slug, $"Coast {tag}", article);

        var page = await editor.GetStringAsync($"/admin/editions/{id}");
        Assert.Contains($"title=\"Desktop preview\" src=\"/admin/editions/{id}/preview?format=html\" sandbox=\"\" width=\"700\"", page);
        Assert.Contains($"title=\"Phone preview\" src=\"/admin/editions/{id}/preview?format=html\" sandbox=\"\" width=\"375\"", page);
        var text = System.Text.RegularExpressions.Regex.Match(page, "<pre class=\"text-preview\" data-text-preview>([^<]*)</pre>").Groups[1].Value;
        Assert.Contains($"Lighthouse keeper retires {tag}", text);
        Assert.Contains("reader@example.com", text); // the sample reader fills the personal fields

        using (var html = await editor.GetAsync($"/admin/editions/{id}/preview?format=html"))
        {
            Assert.Equal("text/html", html.Content.Headers.ContentType!.MediaType);
            Assert.Contains("sandbox", html.Headers.GetValues("Content-Security-Policy").Single());
            var body = await html.Content.ReadAsStringAsync();
            Assert.Contains($"Lighthouse keeper retires {tag}", body);
            Assert.Contains("style=\"", body); // CSS inlined as mail clients need it
        }
        using (var plain = await editor.GetAsync($"/admin/editions/{id}/preview?format=text"))
        {
            Assert.Equal("text/plain", plain.Content.Headers.ContentType!.MediaType);
            Assert.Contains($"Coast {tag}", await plain.Content.ReadAsStringAsync());
        }
        using (var anonymous = Server.CreateClient())
        {
            using var refused = await anonymous.GetAsync($"/admin/editions/{id}/preview?format=html");
            Assert.Equal(HttpStatusCode.Redirect, refused.StatusCode);
            Assert.StartsWith("/admin/signin", refused.Headers.Location!.PathAndQuery());
            using var progress = await anonymous.GetAsync($"/admin/editions/{id}/progress");
            Assert.Equal(HttpStatusCode.Redirect, progress.StatusCode);
        }

        using (var emptied = await EditionsHttp.PostAsync(editor, id, $"/admin/editions/{id}?handler=Update", ("subject", ""), ("content", "articles"), ("articleIds", article.ToString())))
            Assert.Equal("A subject is required.", EditionsHttp.FieldError(await emptied.Content.ReadAsStringAsync(), "subject"));
        using (var saved = await EditionsHttp.PostAsync(editor, id, $"/admin/editions/{id}?handler=Update", ("subject", $"Coast and harbour {tag}"), ("content", "articles"), ("articleIds", article.ToString())))
            Assert.Equal($"/admin/editions/{id}?done=saved", saved.Headers.Location!.PathAndQuery());
        Assert.Equal($"Coast and harbour {tag}", (await EditionsHttp.EditionAsync(Server, id)).Subject);

        using (var invalid = await EditionsHttp.PostAsync(editor, id, $"/admin/editions/{id}?handler=TestSend", ("addresses", "someone@example.com, not-an-address")))
            Assert.Equal("Not a valid address: not-an-address.", EditionsHttp.FieldError(await invalid.Content.ReadAsStringAsync(), "addresses"));
        var (one, two) = (TestData.NewEmail("test-send"), TestData.NewEmail("test-send"));
        using (var sent = await EditionsHttp.PostAsync(editor, id, $"/admin/editions/{id}?handler=TestSend", ("addresses", $"{one}, {two}")))
            Assert.Equal($"/admin/editions/{id}?done=tested", sent.Headers.Location!.PathAndQuery());
        foreach (var address in new[] { one, two })
        {
            var message = await app.Smtp.WaitForAsync(address);
            Assert.Equal($"[Test] Coast and harbour {tag}", message.Subject);
            Assert.Contains($"Lighthouse keeper retires {tag}", message.HtmlBody);
            Assert.Contains($"Lighthouse keeper retires {tag}", message.TextBody);
        }
        Assert.Empty(app.Smtp.To("someone@example.com").Where(m => m.Subject.Contains(tag)));
    }

    [Fact]
    public async Task Schedule_unschedule_send_now_after_confirming_the_audience_pause_resume_and_cancel()
    {
        var tag = EditionsHttp.NewTag();
        var newsletter = await EditionsHttp.NewsletterAsync(Server, tag, active: 3);
        var article = await EditionsHttp.PublishAsync(Server, $"Ferry timetable {tag}");
        var (editor, editorEmail) = await ConsoleHttp.SignedInAsync(Server, AdminRole.Editor);
        using var _e = editor;
        var id = await EditionsHttp.CreateAsync(editor, newsletter.Slug, $"Ferries {tag}", article);
        var page = $"/admin/editions/{id}";

        Assert.Contains("<option value=\"Europe/Berlin\" selected=\"selected\">", await editor.GetStringAsync(page)); // the newsletter's zone
        using (var past = await EditionsHttp.PostAsync(editor, id, $"{page}?handler=Schedule", ("at", "2020-01-01T06:00"), ("zone", "Europe/Berlin")))
            Assert.Equal("That time has passed.", EditionsHttp.FieldError(await past.Content.ReadAsStringAsync(), "at"));
        var year = DateTime.UtcNow.Year + 1;
        using (var gap = await EditionsHttp.PostAsync(editor, id, $"{page}?handler=Schedule", ("at", LastSundayOfMarch(year) + "T02:30"), ("zone", "Europe/Berlin")))
            Assert.Contains("does not exist in Europe/Berlin", EditionsHttp.FieldError(await gap.Content.ReadAsStringAsync(), "at"));
        using (var zone = await EditionsHttp.PostAsync(editor, id, $"{page}?handler=Schedule", ("at", $"{year}-01-15T06:00"), ("zone", "Mars/Olympus")))
            Assert.Equal("Choose a time zone from the list.", EditionsHttp.FieldError(await zone.Content.ReadAsStringAsync(), "at"));
        Assert.Equal(EditionStatus.Draft, (await EditionsHttp.EditionAsync(Server, id)).Status);

        using (var scheduled = await EditionsHttp.PostAsync(editor, id, $"{page}?handler=Schedule", ("at", $"{year}-07-15T06:00"), ("zone", "Europe/Berlin")))
            Assert.Equal($"{page}?done=scheduled", scheduled.Headers.Location!.PathAndQuery());
        var edition = await EditionsHttp.EditionAsync(Server, id);
        Assert.Equal(EditionStatus.Scheduled, edition.Status);
        Assert.Equal((DateTime?)new DateTime(year, 7, 15, 4, 0, 0), edition.ScheduledAt); // summer time: UTC+2
        var html = await editor.GetStringAsync(page);
        Assert.Contains($"value=\"{year}-07-15T06:00\"", html);
        Assert.Contains($"for {year}-07-15 04:00:00 UTC", html);

        using (var unscheduled = await EditionsHttp.PostAsync(editor, id, $"{page}/send/unschedule"))
            Assert.Equal($"{page}?done=unscheduled", unscheduled.Headers.Location!.PathAndQuery());
        edition = await EditionsHttp.EditionAsync(Server, id);
        Assert.Equal((EditionStatus.Draft, (DateTime?)null), (edition.Status, edition.ScheduledAt));
        using (var again = await EditionsHttp.PostAsync(editor, id, $"{page}/send/unschedule"))
            Assert.Equal($"{page}?done=refused", again.Headers.Location!.PathAndQuery());

        var confirm = await editor.GetStringAsync($"{page}/send");
        Assert.Contains("<strong data-audience>3</strong>", confirm); // not the pending, unsubscribed or suppressed readers
        Assert.Contains("Send to 3 readers now", confirm);
        await EditionsHttp.HoldLeaseAsync(Server, id);
        using (var send = await ConsoleHttp.PostFormAsync(editor, $"{page}/send", new Dictionary<string, string>()))
            Assert.Equal($"{page}?done=sending", send.Headers.Location!.PathAndQuery());
        edition = await EditionsHttp.EditionAsync(Server, id);
        Assert.Equal(EditionStatus.Sending, edition.Status);
        Assert.NotNull(edition.StartedAt);
        Assert.Contains("cannot be sent now", await editor.GetStringAsync($"{page}/send"));
        Assert.DoesNotContain("handler=Update", await editor.GetStringAsync(page)); // no longer editable

        foreach (var (action, status) in new[] { ("pause", EditionStatus.Paused), ("resume", EditionStatus.Sending), ("pause", EditionStatus.Paused) })
        {
            using var response = await EditionsHttp.PostAsync(editor, id, $"{page}/send/{action}");
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            Assert.Equal(status, (await EditionsHttp.EditionAsync(Server, id)).Status);
        }
        using (var unticked = await EditionsHttp.PostAsync(editor, id, $"{page}/send/cancel"))
            Assert.Equal($"{page}?done=unconfirmed", unticked.Headers.Location!.PathAndQuery());
        Assert.Equal(EditionStatus.Paused, (await EditionsHttp.EditionAsync(Server, id)).Status);
        using (var cancelled = await EditionsHttp.PostAsync(editor, id, $"{page}/send/cancel", ("confirm", "true")))
            Assert.Equal($"{page}?done=cancelled", cancelled.Headers.Location!.PathAndQuery());
        Assert.Equal(EditionStatus.Cancelled, (await EditionsHttp.EditionAsync(Server, id)).Status);
        using (var resumed = await EditionsHttp.PostAsync(editor, id, $"{page}/send/resume"))
            Assert.Equal($"{page}?done=refused", resumed.Headers.Location!.PathAndQuery());

        var audit = await Server.QueryAsync(db => db.AuditEntries.Where(a => a.Target == id.ToString() && a.Actor == editorEmail).OrderBy(a => a.Id).Select(a => a.Action).ToListAsync());
        Assert.Equal(["edition.create", "edition.schedule", "edition.unschedule", "edition.send", "edition.pause", "edition.resume", "edition.pause", "edition.cancel"], audit);
    }

    [Fact]
    public async Task Progress_shows_counts_rate_and_failed_replies_in_pages_and_the_json_follows_the_records()
    {
        var tag = EditionsHttp.NewTag();
        var newsletter = await EditionsHttp.NewsletterAsync(Server, tag, active: 0);
        var id = await EditionsHttp.SendingAsync(Server, newsletter, $"Progress {tag}", audience: 80);
        await EditionsHttp.AddDeliveriesAsync(Server, id, DeliveryStatus.Sent, 6);
        await EditionsHttp.AddDeliveriesAsync(Server, id, DeliveryStatus.Failed, 52, "550 5.1.1 <x@example.com>: no such user");
        await EditionsHttp.AddDeliveriesAsync(Server, id, DeliveryStatus.Skipped, 2);
        await EditionsHttp.AddDeliveriesAsync(Server, id, DeliveryStatus.Queued, 4);
        var (viewer, _) = await ConsoleHttp.SignedInAsync(Server, AdminRole.Viewer);
        using var _v = viewer;

        var html = await viewer.GetStringAsync($"/admin/editions/{id}");
        Assert.Equal(("6", "52", "2"), (EditionsHttp.Field(html, "sent"), EditionsHttp.Field(html, "failed"), EditionsHttp.Field(html, "skipped")));
        Assert.Equal("20", EditionsHttp.Field(html, "remaining")); // 4 queued + 16 not yet written
        Assert.Equal("0.1 per second", EditionsHttp.Field(html, "rate")); // 6 in the last minute
        Assert.EndsWith(" UTC", EditionsHttp.Field(html, "finish"));
        Assert.Contains($"data-progress-url=\"/admin/editions/{id}/progress\"", html);
        Assert.Equal(50, System.Text.RegularExpressions.Regex.Count(html, "<tr data-failed-recipient>"));
        Assert.Contains("<code>550 5.1.1 &lt;x@example.com&gt;: no such user</code>", html);
        var next = System.Text.RegularExpressions.Regex.Match(html, "<a href=\"([^\"]+)\" rel=\"next\">").Groups[1].Value;
        var second = await viewer.GetStringAsync(WebUtility.HtmlDecode(next));
        Assert.Equal(2, System.Text.RegularExpressions.Regex.Count(second, "<tr data-failed-recipient>"));

        await EditionsHttp.SendQueuedAsync(Server, id, 3);
        // While an edition is sending its counts are shared for a couple of seconds (DeliveryCounts): poll like the page does.
        Poll? json = null;
        for (var until = DateTime.UtcNow.AddSeconds(15); DateTime.UtcNow < until; await Task.Delay(250))
        {
            json = await viewer.GetFromJsonAsync<Poll>($"/admin/editions/{id}/progress");
            if (json!.Fields["sent"] == "9") break;
        }
        Assert.Equal("sending", json!.Status);
        Assert.Equal(("9", "52", "17"), (json.Fields["sent"], json.Fields["failed"], json.Fields["remaining"]));
        Assert.Equal("9", EditionsHttp.Field(await viewer.GetStringAsync($"/admin/editions/{id}"), "sent")); // and the page on reload
        using var missing = await viewer.GetAsync("/admin/editions/999999999/progress");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);

        var (editor, editorEmail) = await ConsoleHttp.SignedInAsync(Server, AdminRole.Editor);
        using var _e = editor;
        Assert.Contains("Retry failed (52)", await editor.GetStringAsync($"/admin/editions/{id}"));
        using (var retried = await EditionsHttp.PostAsync(editor, id, $"/admin/editions/{id}/send/retry"))
            Assert.Equal($"/admin/editions/{id}?done=retried", retried.Headers.Location!.PathAndQuery());
        Assert.Equal(0, await Server.QueryAsync(db => db.Deliveries.CountAsync(d => d.EditionId == id && d.Status == DeliveryStatus.Failed)));
        Assert.True(await Server.QueryAsync(db => db.AuditEntries.AnyAsync(a => a.Action == "edition.retry-failed" && a.Target == id.ToString() && a.Details == "52 recipient(s)" && a.Actor == editorEmail)));
    }

    [Fact]
    public async Task A_viewer_sees_every_edition_page_and_every_post_is_refused()
    {
        var tag = EditionsHttp.NewTag();
        var newsletter = await EditionsHttp.NewsletterAsync(Server, tag, active: 1);
        var article = await EditionsHttp.PublishAsync(Server, $"Bridge repairs {tag}");
        var (editor, _) = await ConsoleHttp.SignedInAsync(Server, AdminRole.Editor);
        using var _e = editor;
        var draft = await EditionsHttp.CreateAsync(editor, newsletter.Slug, $"Draft {tag}", article);
        var sending = await EditionsHttp.SendingAsync(Server, newsletter, $"Sending {tag}", audience: 5);
        await EditionsHttp.AddDeliveriesAsync(Server, sending, DeliveryStatus.Failed, 1, "554 refused");
        var (viewer, _) = await ConsoleHttp.SignedInAsync(Server, AdminRole.Viewer);
        using var _v = viewer;

        var page = await viewer.GetStringAsync($"/admin/editions/{draft}");
        Assert.Contains($"Bridge repairs {tag}", page);
        Assert.DoesNotContain("method=\"post\"", page.Replace("method=\"post\" action=\"/admin/signout\"", ""));
        Assert.DoesNotContain("Send now", page);
        Assert.DoesNotContain("method=\"post\"", (await viewer.GetStringAsync($"/admin/editions/{sending}")).Replace("method=\"post\" action=\"/admin/signout\"", ""));
        Assert.Contains($"Draft {tag}", await viewer.GetStringAsync("/admin/editions"));
        Assert.DoesNotContain("Send to", await viewer.GetStringAsync($"/admin/editions/{draft}/send"));
        using (var create = await viewer.GetAsync("/admin/editions/new"))
            Assert.StartsWith("/admin/denied", create.Headers.Location!.PathAndQuery());

        var future = $"{DateTime.UtcNow.Year + 1}-01-15T06:00";
        foreach (var (edition, action, fields) in new (long, string, (string, string)[])[]
        {
            (draft, $"/admin/editions/{draft}?handler=Update", [("subject", "Hijacked"), ("content", "articles"), ("articleIds", article.ToString())]),
            (draft, $"/admin/editions/{draft}?handler=TestSend", [("addresses", TestData.NewEmail("viewer-test"))]),
            (draft, $"/admin/editions/{draft}?handler=Schedule", [("at", future), ("zone", "UTC")]),
            (draft, $"/admin/editions/{draft}/send", []),
            (draft, $"/admin/editions/{draft}/send/cancel", [("confirm", "true")]),
            (sending, $"/admin/editions/{sending}/send/pause", []),
            (sending, $"/admin/editions/{sending}/send/retry", []),
            (sending, $"/admin/editions/{sending}/send/cancel", [("confirm", "true")]),
        })
        {
            using var refused = await EditionsHttp.PostAsync(viewer, edition, action, fields);
            Assert.True(refused.StatusCode == HttpStatusCode.Forbidden, $"{action} answered {refused.StatusCode}");
        }
        using (var created = await EditionsHttp.PostAsync(viewer, draft, "/admin/editions/new", ("newsletter", newsletter.Slug), ("subject", "By a viewer"), ("content", "articles"), ("articleIds", article.ToString())))
            Assert.StartsWith("/admin/denied", created.Headers.Location!.PathAndQuery());

        var (d, s) = (await EditionsHttp.EditionAsync(Server, draft), await EditionsHttp.EditionAsync(Server, sending));
        Assert.Equal((EditionStatus.Draft, $"Draft {tag}", (DateTime?)null), (d.Status, d.Subject, d.ScheduledAt));
        Assert.Equal(EditionStatus.Sending, s.Status);
        Assert.Equal(1, await Server.QueryAsync(db => db.Deliveries.CountAsync(x => x.EditionId == sending && x.Status == DeliveryStatus.Failed)));
        Assert.False(await Server.QueryAsync(db => db.Editions.AnyAsync(e => e.Subject == "By a viewer")));
        Assert.False(await Server.QueryAsync(db => db.OutboundEmails.AnyAsync(m => m.Kind == "edition-test" && m.ToAddress.StartsWith("viewer-test"))));
    }

    /// <summary>The day Central European clocks go forward (02:00 becomes 03:00).</summary>
    private static string LastSundayOfMarch(int year)
    {
        var day = new DateOnly(year, 3, 31);
        while (day.DayOfWeek != DayOfWeek.Sunday) day = day.AddDays(-1);
        return day.ToString("yyyy-MM-dd");
    }

    private sealed record Poll(string Status, Dictionary<string, string> Fields);
}

[Collection(SqliteCollection.Name)]
public sealed class SqliteEditionConsoleTests(SqliteApp app) : EditionConsoleTests(app);

[Collection(PostgresCollection.Name)]
public sealed class PostgresEditionConsoleTests(PostgresApp app) : EditionConsoleTests(app);
