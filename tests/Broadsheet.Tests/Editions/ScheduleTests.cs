using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Broadsheet.Admin;
using Broadsheet.Editions;
using Broadsheet.Tests.Admin;
using Broadsheet.Tests.Infrastructure;
using Broadsheet.Tests.Signup;
using Microsoft.EntityFrameworkCore;

namespace Broadsheet.Tests.Editions;

/// <summary>Newsletter schedules (API, console form, the worker's digests) and scheduled editions starting at their time.</summary>
public abstract class ScheduleTests(AppFixture app)
{
    private static readonly string[] EveryDay = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    private BroadsheetServer Server => app.Server;

    [Fact]
    public async Task The_newsletter_api_checks_a_schedule_and_works_out_its_next_run()
    {
        var slug = await EditionHttp.NewsletterAsync(Server);
        using var api = Server.CreateClient(admin: true);
        using (var bad = await api.PutAsJsonAsync($"/api/newsletters/{slug}", new { schedule = new { enabled = true, days = Array.Empty<string>(), time = "25:00", timeZone = "Mars/Olympus_Mons" } }))
        {
            var errors = (await ConsentAndApiTests.AssertProblemAsync(bad, HttpStatusCode.BadRequest, "schedule.days")).GetProperty("errors");
            Assert.True(errors.TryGetProperty("schedule.time", out _));
            Assert.True(errors.TryGetProperty("schedule.timeZone", out _));
        }
        using (var incomplete = await api.PutAsJsonAsync($"/api/newsletters/{slug}", new { schedule = new { enabled = true } }))
            await ConsentAndApiTests.AssertProblemAsync(incomplete, HttpStatusCode.BadRequest, "schedule.days");
        using (var template = await api.PutAsJsonAsync($"/api/newsletters/{slug}", new { templateId = 99999999 }))
            await ConsentAndApiTests.AssertProblemAsync(template, HttpStatusCode.BadRequest, "templateId");

        var before = DateTime.UtcNow;
        using (var ok = await api.PutAsJsonAsync($"/api/newsletters/{slug}", new { schedule = new { enabled = true, days = new[] { "wed", "Mon" }, time = "06:30", timeZone = "Europe/London" } }))
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        var schedule = (await api.GetFromJsonAsync<JsonElement>($"/api/newsletters/{slug}")).GetProperty("schedule");
        Assert.True(schedule.GetProperty("enabled").GetBoolean());
        Assert.Equal(["Mon", "Wed"], schedule.GetProperty("days").EnumerateArray().Select(d => d.GetString()));
        var rule = ScheduleRule.FromStored("Mon,Wed", "06:30", "Europe/London")!;
        var next = schedule.GetProperty("nextRunAt").GetDateTime().ToUniversalTime();
        Assert.Contains(next, new[] { rule.NextAfter(before), rule.NextAfter(DateTime.UtcNow) });

        using (var off = await api.PutAsJsonAsync($"/api/newsletters/{slug}", new { schedule = new { enabled = false } }))
        {
            var read = (await off.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("schedule");
            Assert.False(read.GetProperty("enabled").GetBoolean());
            Assert.Equal(JsonValueKind.Null, read.GetProperty("nextRunAt").ValueKind);
            Assert.Equal("06:30", read.GetProperty("time").GetString());
        }
        using (var on = await api.PutAsJsonAsync($"/api/newsletters/{slug}", new { schedule = new { enabled = true, time = "07:15" } }))
        {
            var read = (await on.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("schedule");
            var local = TimeZoneInfo.ConvertTimeFromUtc(read.GetProperty("nextRunAt").GetDateTime().ToUniversalTime(), rule.Zone);
            Assert.Equal(new TimeOnly(7, 15), TimeOnly.FromDateTime(local));
            Assert.Contains(local.DayOfWeek, new[] { DayOfWeek.Monday, DayOfWeek.Wednesday });
        }
    }

    [Fact]
    public async Task The_console_form_saves_a_schedule_and_a_template_and_shows_what_is_wrong()
    {
        var slug = await EditionHttp.NewsletterAsync(Server);
        var templateId = await Server.QueryAsync(async db =>
        {
            var t = new EditionTemplate { Name = "form-" + Guid.NewGuid().ToString("N")[..8], HtmlSource = "<p>{{ edition.subject }}</p>", TextSource = "{{ edition.subject }}" };
            db.EditionTemplates.Add(t);
            await db.SaveChangesAsync();
            return t.Id;
        });
        var (editor, _) = await ConsoleHttp.SignedInAsync(Server, AdminRole.Editor);
        using (editor)
        {
            var page = $"/admin/newsletters/edit/{slug}";
            Assert.Contains($"<option value=\"{templateId}\"", await editor.GetStringAsync(page));
            var fields = new List<KeyValuePair<string, string>>
            {
                new("slug", slug), new("name", "Form Scheduled"), new("isPublic", "true"), new("templateId", templateId.ToString()),
                new("scheduleEnabled", "true"), new("scheduleDays", "Tue"), new("scheduleDays", "Sat"), new("scheduleTime", "05:45"), new("scheduleTimeZone", "Nowhere/Atlantis"),
            };
            using (var wrong = await PostAsync(editor, page, fields))
            {
                Assert.Equal(HttpStatusCode.OK, wrong.StatusCode);
                Assert.Contains("An IANA time zone", await wrong.Content.ReadAsStringAsync());
            }
            fields[^1] = new("scheduleTimeZone", "Australia/Sydney");
            using (var saved = await PostAsync(editor, page, fields))
                Assert.Equal(HttpStatusCode.Redirect, saved.StatusCode);
        }
        var n = await Server.QueryAsync(db => db.Newsletters.SingleAsync(x => x.Slug == slug));
        Assert.True(n.ScheduleEnabled);
        Assert.Equal(("Tue,Sat", "05:45", "Australia/Sydney", templateId), (n.ScheduleDays, n.ScheduleTime, n.ScheduleTimeZone, n.TemplateId));
        var local = TimeZoneInfo.ConvertTimeFromUtc(DateTime.SpecifyKind(n.NextScheduledRunAt!.Value, DateTimeKind.Utc), TimeZoneInfo.FindSystemTimeZoneById("Australia/Sydney"));
        Assert.Equal(new TimeOnly(5, 45), TimeOnly.FromDateTime(local));
    }

    [Fact]
    public async Task A_schedule_that_comes_due_builds_and_starts_one_digest()
    {
        var name = "Dawn Digest " + Guid.NewGuid().ToString("N")[..6];
        var slug = await EditionHttp.NewsletterAsync(Server, name: name, schedule: new { enabled = true, days = EveryDay, time = "06:00", timeZone = "Asia/Tokyo" });
        var article = await EditionHttp.ArticleAsync(Server, "Scheduled story " + Guid.NewGuid().ToString("N")[..6]);
        var due = await MakeDueAsync(slug);

        var edition = await EditionHttp.EventuallyAsync(() => EditionsOfAsync(slug), e => e.Count > 0, "the scheduled digest");
        var digest = Assert.Single(edition);
        Assert.True(digest.IsDigest);
        // Started by itself; with nobody subscribed it may already be marked sent.
        Assert.Contains(digest.Status, new[] { EditionStatus.Sending, EditionStatus.Sent });
        Assert.NotNull(digest.StartedAt);
        Assert.Equal(ScheduleWorker.Creator, digest.CreatedBy);
        Assert.Contains(article.Id, digest.ArticleIds);
        var tokyo = TimeZoneInfo.FindSystemTimeZoneById("Asia/Tokyo");
        Assert.Equal($"{name}: {TimeZoneInfo.ConvertTimeFromUtc(due, tokyo).ToString("d MMMM yyyy", CultureInfo.InvariantCulture)}", digest.Subject);

        var next = await Server.QueryAsync(db => db.Newsletters.Where(n => n.Slug == slug).Select(n => n.NextScheduledRunAt).SingleAsync());
        Assert.True(next > DateTime.UtcNow);
        Assert.Equal(new TimeOnly(6, 0), TimeOnly.FromDateTime(TimeZoneInfo.ConvertTimeFromUtc(DateTime.SpecifyKind(next!.Value, DateTimeKind.Utc), tokyo)));
        await Task.Delay(1000); // four more rounds of the worker
        Assert.Single(await EditionsOfAsync(slug));
    }

    [Fact]
    public async Task A_schedule_with_nothing_new_is_skipped_without_an_edition()
    {
        var slug = await EditionHttp.NewsletterAsync(Server, schedule: new { enabled = true, days = EveryDay, time = "06:00", timeZone = "America/New_York" });
        var article = await EditionHttp.ArticleAsync(Server, "Already sent story " + Guid.NewGuid().ToString("N")[..6]);
        var manual = await EditionHttp.EditionIdAsync(Server, slug, new { subject = "Manual", articleIds = new[] { article.Id } });
        using (var api = Server.CreateClient(admin: true))
            (await api.PostAsync($"/api/editions/{manual}/send", null)).EnsureSuccessStatusCode(); // only editions that go out count
        var due = await MakeDueAsync(slug);

        await EditionHttp.EventuallyAsync(() => Server.QueryAsync(db => db.Newsletters.Where(n => n.Slug == slug).Select(n => n.NextScheduledRunAt).SingleAsync()),
            next => next > due, "the skipped run to move on");
        var editions = await EditionsOfAsync(slug);
        Assert.Equal("Manual", Assert.Single(editions).Subject);
    }

    [Fact]
    public async Task A_scheduled_edition_starts_by_itself_at_its_time()
    {
        var slug = await EditionHttp.NewsletterAsync(Server);
        var article = await EditionHttp.ArticleAsync(Server, "Timed story " + Guid.NewGuid().ToString("N")[..6]);
        var at = DateTime.UtcNow.AddSeconds(1.5);
        var created = await EditionHttp.EditionAsync(Server, slug, new { subject = "On time", articleIds = new[] { article.Id }, scheduledAt = at.ToString("O") });
        Assert.Equal("scheduled", created.GetProperty("status").GetString());
        var id = created.GetProperty("id").GetInt64();

        var started = await EditionHttp.EventuallyAsync(() => Server.QueryAsync(db => db.Editions.SingleAsync(e => e.Id == id)),
            e => e.Status != EditionStatus.Scheduled, "the scheduled edition to start");
        Assert.Contains(started.Status, new[] { EditionStatus.Sending, EditionStatus.Sent }); // nobody subscribed: it may be done already
        Assert.True(started.StartedAt >= at.AddMilliseconds(-1), $"Started at {started.StartedAt:O}, scheduled for {at:O}.");
        Assert.Null(started.ScheduledAt);
    }

    /// <summary>Moves the newsletter's next run to just now, as if its time had come; returns that time.</summary>
    private async Task<DateTime> MakeDueAsync(string slug)
    {
        var due = DateTime.UtcNow.AddSeconds(-1);
        await Server.QueryAsync(db => db.Newsletters.Where(n => n.Slug == slug).ExecuteUpdateAsync(u => u.SetProperty(n => n.NextScheduledRunAt, due)));
        return due;
    }

    private Task<List<Edition>> EditionsOfAsync(string slug) =>
        Server.QueryAsync(db => db.Editions.AsNoTracking().Where(e => e.Newsletter.Slug == slug).OrderBy(e => e.Id).ToListAsync());

    private static async Task<HttpResponseMessage> PostAsync(HttpClient client, string page, List<KeyValuePair<string, string>> fields)
    {
        var token = await ConsoleHttp.TokenAsync(client, page);
        return await client.PostAsync(page, new FormUrlEncodedContent([.. fields, new("__RequestVerificationToken", token)]));
    }
}

[Collection(SqliteCollection.Name)]
public sealed class ScheduleTestsOnSqlite(SqliteApp app) : ScheduleTests(app);

[Collection(PostgresCollection.Name)]
public sealed class ScheduleTestsOnPostgres(PostgresApp app) : ScheduleTests(app);

/// <summary>Two app nodes on one PostgreSQL database: each due run of a schedule makes one digest, not two.</summary>
public sealed class ScheduleOnTwoNodesTests
{
    [Fact]
    public async Task Two_nodes_run_each_due_schedule_once()
    {
        var settings = new Dictionary<string, string?> { ["Editions:SchedulePollInterval"] = "00:00:00.030" };
        await using var first = await BroadsheetServer.StartAsync(DatabaseKind.Postgres, null, settings);
        await using var second = await BroadsheetServer.StartAsync(DatabaseKind.Postgres, null, settings, first.ConnectionString);
        var slug = await EditionHttp.NewsletterAsync(first, schedule: new { enabled = true, days = ScheduleRule.DayNames, time = "06:00", timeZone = "Europe/Paris" });

        for (var run = 1; run <= 5; run++)
        {
            await EditionHttp.ArticleAsync(run % 2 == 0 ? first : second, $"Story for run {run} " + Guid.NewGuid().ToString("N")[..6]);
            var due = DateTime.UtcNow.AddSeconds(-1);
            await first.QueryAsync(db => db.Newsletters.Where(n => n.Slug == slug).ExecuteUpdateAsync(u => u.SetProperty(n => n.NextScheduledRunAt, due)));
            await EditionHttp.EventuallyAsync(() => first.QueryAsync(db => db.Editions.CountAsync(e => e.Newsletter.Slug == slug)), c => c >= run, $"digest {run}");
            await Task.Delay(300); // ten more rounds on each node
            Assert.Equal(run, await second.QueryAsync(db => db.Editions.CountAsync(e => e.Newsletter.Slug == slug)));
        }
    }
}
