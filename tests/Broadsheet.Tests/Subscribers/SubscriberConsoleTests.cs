using System.Net;
using Broadsheet.Admin;
using Broadsheet.Subscribers;
using Broadsheet.Tests.Admin;
using Broadsheet.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Broadsheet.Tests.Subscribers;

/// <summary>The console's subscriber list, detail page, hand edits, bulk jobs, segments and export, on each database.</summary>
public abstract class SubscriberConsoleTests(AppFixture app)
{
    private BroadsheetServer Server => app.Server;

    [Fact]
    public async Task The_list_searches_filters_sorts_and_pages_by_keyset()
    {
        var tag = Audience.NewTag();
        var people = await Audience.AddAsync(Server, tag, 120);
        var (viewer, _) = await ConsoleHttp.SignedInAsync(Server, AdminRole.Viewer);
        using var _v = viewer;

        foreach (var (sort, expected) in new[]
        {
            ("Newest", people.OrderByDescending(p => p.CreatedAt).ThenByDescending(p => p.Id).Select(p => p.Email).ToList()),
            ("Oldest", people.OrderBy(p => p.CreatedAt).ThenBy(p => p.Id).Select(p => p.Email).ToList()),
            ("Email", people.OrderBy(p => p.Email, StringComparer.Ordinal).Select(p => p.Email).ToList()),
        })
        {
            var seen = new List<string>();
            string? page = $"/admin/subscribers?source={tag}&sort={sort}";
            var pages = 0;
            while (page is not null)
            {
                var html = await viewer.GetStringAsync(page);
                Assert.Equal(120, Audience.Total(html));
                seen.AddRange(Audience.Listed(html));
                page = Audience.NextPage(html);
                pages++;
            }
            Assert.Equal(3, pages);
            Assert.Equal(expected, seen);
        }

        async Task<List<string>> Find(string query) => Audience.Listed(await viewer.GetStringAsync($"/admin/subscribers?{query}"));
        Assert.Equal(10, (await Find($"q={tag}-01")).Count);
        Assert.Equal([$"{tag}-042@example.com"], await Find($"q=READER+042+{tag}"));
        Assert.Equal(60, Audience.Total(await viewer.GetStringAsync($"/admin/subscribers?source={tag}&newsletter={TestData.Default}&subscription=Active")));
        Assert.Equal(0, Audience.Total(await viewer.GetStringAsync($"/admin/subscribers?source={tag}&newsletter={TestData.Default}&subscription=Pending")));
        Assert.Equal(40, Audience.Total(await viewer.GetStringAsync($"/admin/subscribers?source={tag}&subscription=Pending")));
        Assert.Equal(60, Audience.Total(await viewer.GetStringAsync($"/admin/subscribers?source={tag}/article-1")));
        // 2021-03-01 holds hours 0–23, i.e. rows 0–71; the range is inclusive of whole days.
        Assert.Equal(72, Audience.Total(await viewer.GetStringAsync($"/admin/subscribers?source={tag}&from=2021-03-01&to=2021-03-01")));
        Assert.Equal(48, Audience.Total(await viewer.GetStringAsync($"/admin/subscribers?source={tag}&from=2021-03-02")));
        // The filter builder is typed: SQL in a search box is just text that matches nobody.
        Assert.Equal(0, Audience.Total(await viewer.GetStringAsync($"/admin/subscribers?source={tag}&q={Uri.EscapeDataString("' OR 1=1 --")}")));
        Assert.Equal(HttpStatusCode.OK, (await viewer.GetAsync($"/admin/subscribers?source={tag}&status=Nonsense&from=yesterday&after=x:y")).StatusCode);
    }

    [Fact]
    public async Task Add_by_hand_then_see_edit_unsubscribe_and_delete_on_the_detail_page()
    {
        var (editor, editorEmail) = await ConsoleHttp.SignedInAsync(Server, AdminRole.Editor);
        using var _e = editor;
        var email = TestData.NewEmail("byhand");
        var token = await ConsoleHttp.TokenAsync(editor, "/admin/subscribers/add");
        using var added = await editor.PostAsync("/admin/subscribers/add", new FormUrlEncodedContent(
        [
            new("email", email), new("name", "Hand Made"), new("newsletters", TestData.Default), new("newsletters", TestData.Second), new("__RequestVerificationToken", token),
        ]));
        Assert.Equal(HttpStatusCode.Redirect, added.StatusCode);
        var detail = added.Headers.Location!.PathAndQuery();
        var id = long.Parse(detail.Split('/').Last());

        var html = await editor.GetStringAsync(detail);
        Assert.Contains(email, html);
        Assert.Contains("The Morning Briefing", html);
        Assert.Contains("Analysis Weekly", html);
        Assert.Contains($"added by {editorEmail} in the console", html);

        using var edit = await ConsoleHttp.PostFormAsync(editor, detail, new Dictionary<string, string> { ["name"] = "Hand Edited", ["attributes"] = """{"city":"Leeds"}""" }, $"{detail}?handler=Edit");
        Assert.Contains("Saved.", await edit.Content.ReadAsStringAsync());
        using var badEdit = await ConsoleHttp.PostFormAsync(editor, detail, new Dictionary<string, string> { ["name"] = "x", ["attributes"] = "[1,2]" }, $"{detail}?handler=Edit");
        Assert.Contains("must be a JSON object", await badEdit.Content.ReadAsStringAsync());
        html = await editor.GetStringAsync(detail);
        Assert.Contains("Hand Edited", html);
        Assert.Contains("Leeds", html);

        var second = await Server.QueryAsync(db => db.Newsletters.Where(n => n.Slug == TestData.Second).Select(n => n.Id).SingleAsync());
        using var unsubscribe = await ConsoleHttp.PostFormAsync(editor, detail, new Dictionary<string, string> { ["newsletterId"] = second.ToString() }, $"{detail}?handler=Unsubscribe");
        Assert.Contains("Unsubscribed.", await unsubscribe.Content.ReadAsStringAsync());
        var subs = await Server.QueryAsync(db => db.Subscriptions.Where(s => s.SubscriberId == id).Include(s => s.Newsletter).ToListAsync());
        Assert.Equal(SubscriptionStatus.Unsubscribed, subs.Single(s => s.Newsletter.Slug == TestData.Second).Status);
        Assert.Equal(SubscriptionStatus.Active, subs.Single(s => s.Newsletter.Slug == TestData.Default).Status);
        var withdrawn = await Server.QueryAsync(db => db.Consents.Where(c => c.SubscriberId == id && c.NewsletterId == second).Select(c => c.WithdrawnAt).SingleAsync());
        Assert.NotNull(withdrawn);

        // Someone who unsubscribed is not put back by hand.
        using var readd = await ConsoleHttp.PostFormAsync(editor, detail, new Dictionary<string, string> { ["newsletter"] = TestData.Second }, $"{detail}?handler=Add");
        Assert.Contains("only they can sign up again", await readd.Content.ReadAsStringAsync());

        using var delete = await ConsoleHttp.PostFormAsync(editor, detail, new Dictionary<string, string>(), $"{detail}?handler=Delete");
        Assert.Equal(HttpStatusCode.Redirect, delete.StatusCode);
        Assert.False(await Server.QueryAsync(db => db.Subscribers.AnyAsync(s => s.Id == id)));
        Assert.False(await Server.QueryAsync(db => db.Consents.AnyAsync(c => c.SubscriberId == id)));
        Assert.Equal(HttpStatusCode.NotFound, (await editor.GetAsync(detail)).StatusCode);
    }

    [Fact]
    public async Task Bulk_actions_on_a_filter_run_as_jobs_and_touch_only_the_filter_result()
    {
        var tag = Audience.NewTag();
        await Audience.AddAsync(Server, tag, 30);
        var other = Audience.NewTag();
        await Audience.AddAsync(Server, other, 3);
        var (editor, _) = await ConsoleHttp.SignedInAsync(Server, AdminRole.Editor);
        using var _e = editor;
        var list = $"/admin/subscribers?source={tag}";

        async Task<Jobs.Job> Bulk(string filter, string action, string newsletter)
        {
            using var response = await ConsoleHttp.PostFormAsync(editor, list, new Dictionary<string, string> { ["action"] = action, ["newsletter"] = newsletter },
                $"/admin/subscribers?handler=Bulk&{filter}");
            var job = await ConsoleHttp.WaitForJobAsync(Server, ConsoleHttp.JobId(response));
            Assert.Equal(Jobs.JobStatus.Done, job.Status);
            var page = await editor.GetStringAsync($"/admin/jobs/{job.Id}");
            Assert.Contains(job.Title, System.Net.WebUtility.HtmlDecode(page));
            return job;
        }

        // Every third is pending in Second: unsubscribe those ten from it, then add all thirty to Second.
        var unsubscribed = await Bulk($"source={tag}&newsletter={TestData.Second}", "unsubscribe", TestData.Second);
        Assert.Equal(10, unsubscribed.Processed);
        var added = await Bulk($"source={tag}", "add", TestData.Second);
        Assert.Equal(30, added.Total);
        var rows = await Server.QueryAsync(db => db.Subscriptions.Where(s => s.Subscriber.Source!.Contains(tag) && s.Newsletter.Slug == TestData.Second)
            .Select(s => new { s.Status, s.CurrentConsentId }).ToListAsync());
        Assert.Equal(30, rows.Count);
        Assert.All(rows.Where(r => r.Status == SubscriptionStatus.Active), r => Assert.NotNull(r.CurrentConsentId));
        Assert.Equal(10, rows.Count(r => r.Status == SubscriptionStatus.Unsubscribed)); // their decision stands
        Assert.Equal(20, rows.Count(r => r.Status == SubscriptionStatus.Active));

        await Bulk($"source={tag}&q={tag}-00", "delete", "");
        Assert.Equal(20, await Server.QueryAsync(db => db.Subscribers.CountAsync(s => s.Source!.Contains(tag))));
        await Bulk($"source={tag}", "unsubscribe", "");
        Assert.Equal(20, await Server.QueryAsync(db => db.Subscribers.CountAsync(s => s.Source!.Contains(tag) && s.Status == SubscriberStatus.Unsubscribed)));
        Assert.False(await Server.QueryAsync(db => db.Subscriptions.AnyAsync(s => s.Subscriber.Source!.Contains(tag) && s.Status != SubscriptionStatus.Unsubscribed)));
        Assert.Equal(3, await Server.QueryAsync(db => db.Subscribers.CountAsync(s => s.Source!.Contains(other) && s.Status == SubscriberStatus.Active)));

        var (viewer, _) = await ConsoleHttp.SignedInAsync(Server, AdminRole.Viewer);
        using var _v = viewer;
        var token = await ConsoleHttp.TokenAsync(viewer, "/admin/account");
        using var refused = await viewer.PostAsync($"/admin/subscribers?handler=Bulk&source={other}", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["action"] = "delete", ["newsletter"] = "", ["__RequestVerificationToken"] = token,
        }));
        Assert.Equal(HttpStatusCode.Redirect, refused.StatusCode);
        Assert.StartsWith("/admin/denied", refused.Headers.Location!.PathAndQuery());
        Assert.Equal(3, await Server.QueryAsync(db => db.Subscribers.CountAsync(s => s.Source!.Contains(other))));
    }

    [Fact]
    public async Task A_segment_saves_a_filter_and_counts_live()
    {
        var tag = Audience.NewTag();
        await Audience.AddAsync(Server, tag, 9);
        var (editor, _) = await ConsoleHttp.SignedInAsync(Server, AdminRole.Editor);
        using var _e = editor;
        var name = $"Segment {tag}";
        using var saved = await ConsoleHttp.PostFormAsync(editor, $"/admin/subscribers?source={tag}", new Dictionary<string, string> { ["name"] = name },
            $"/admin/subscribers?handler=Segment&source={tag}&newsletter={TestData.Default}");
        Assert.Equal(HttpStatusCode.Redirect, saved.StatusCode);
        var segment = await Server.QueryAsync(db => db.Segments.SingleAsync(s => s.Name == name));
        Assert.DoesNotContain("SELECT", segment.Filter, StringComparison.OrdinalIgnoreCase);

        Assert.Contains($"{name}</a></td><td data-count>5<", Compact(await editor.GetStringAsync("/admin/segments")));
        await Audience.AddAsync(Server, tag + "x", 4); // the same source tag appears in these addresses' source too
        Assert.Contains($"{name}</a></td><td data-count>7<", Compact(await editor.GetStringAsync("/admin/segments")));
        Assert.Equal(7, Audience.Total(await editor.GetStringAsync($"/admin/subscribers?segment={segment.Id}")));
    }

    [Fact]
    public async Task Export_streams_the_filter_result_as_csv()
    {
        var tag = Audience.NewTag();
        await Audience.AddAsync(Server, tag, 7);
        await Server.QueryAsync(async db =>
        {
            var first = await db.Subscribers.SingleAsync(s => s.Email == $"{tag}-000@example.com");
            first.Name = "=HYPERLINK(\"x\"), Esq.";
            return await db.SaveChangesAsync();
        });
        var (editor, _) = await ConsoleHttp.SignedInAsync(Server, AdminRole.Editor);
        using var _e = editor;
        using var response = await editor.GetAsync($"/admin/subscribers/export?source={tag}&newsletter={TestData.Default}", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv", response.Content.Headers.ContentType!.MediaType);
        Assert.Null(response.Content.Headers.ContentLength); // streamed, not buffered
        Assert.Contains("attachment", response.Content.Headers.ContentDisposition!.ToString());
        var lines = (await response.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("email,name,status,created_at,source,source_section,newsletters,attributes", lines[0]);
        Assert.Equal(4, lines.Length - 1); // rows 0, 2, 4 and 6 are in the default newsletter
        Assert.StartsWith($"{tag}-000@example.com,\"'=HYPERLINK(\"\"x\"\"), Esq.\",active,2021-03-01T00:00:00Z,", lines[1]);
        Assert.Contains($"{TestData.Default}:active", lines[1]);
        Assert.Contains($"{TestData.Second}:pending", lines[1]);
        Assert.All(lines.Skip(1), l => Assert.StartsWith(tag, l));

        using var api = Server.CreateClient(admin: true);
        var viaApi = await api.GetStringAsync($"/api/subscribers/export?source={tag}");
        Assert.Equal(8, viaApi.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    private static string Compact(string html) => System.Text.RegularExpressions.Regex.Replace(html, @">\s+<", "><");
}

[Collection(SqliteCollection.Name)]
public sealed class SubscriberConsoleTestsOnSqlite(SqliteApp app) : SubscriberConsoleTests(app);

[Collection(PostgresCollection.Name)]
public sealed class SubscriberConsoleTestsOnPostgres(PostgresApp app) : SubscriberConsoleTests(app);
