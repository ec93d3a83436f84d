using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Broadsheet.Import;
using Broadsheet.Jobs;
using Broadsheet.Subscribers;
using Broadsheet.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Broadsheet.Tests.Import;

/// <summary>CSV imports over the API on each database: formats, invalid rows, duplicates, broken files, suppression, batches, resume, cancel.</summary>
public abstract class ImportTests(AppFixture app)
{
    private BroadsheetServer Server => app.Server;

    /// <summary>Rows in one batch of an import on this database.</summary>
    private int BatchSize => ImportRunner.BatchSize(app.Kind == DatabaseKind.Postgres);

    private Task<List<Subscriber>> ImportedAsync(string tag) =>
        Server.QueryAsync(db => db.Subscribers.AsNoTracking().Include(s => s.Subscriptions).ThenInclude(x => x.Newsletter)
            .Where(s => s.NormalizedEmail.StartsWith(tag)).OrderBy(s => s.NormalizedEmail).ToListAsync());

    [Fact]
    public async Task A_good_file_imports_names_attributes_status_and_the_consent_source()
    {
        var tag = Subscribers.Audience.NewTag();
        using var api = Server.CreateClient(admin: true);
        var status = await ImportHttp.ImportAsync(api, ImportHttp.Utf8($"Email,Name,City,Plan\n{tag}-a@Example.COM,Ann Lee,Leeds,gold\n{tag}-b@example.com,,York,\n"),
            $"newsletter={TestData.SingleOptIn}&status=pending&fileName=members.csv");
        Assert.Equal("done", status.GetProperty("status").GetString());
        Assert.Equal(2, status.GetProperty("total").GetInt64());
        Assert.Equal(2, status.GetProperty("processed").GetInt64());
        Assert.Equal(0, status.GetProperty("rejected").GetInt64());

        var people = await ImportedAsync(tag);
        Assert.Equal([$"{tag}-a@example.com", $"{tag}-b@example.com"], people.Select(p => p.Email));
        Assert.Equal("Ann Lee", people[0].Name);
        Assert.Null(people[1].Name);
        Assert.Equal(new Dictionary<string, string> { ["City"] = "Leeds", ["Plan"] = "gold" }, JsonSerializer.Deserialize<Dictionary<string, string>>(people[0].Attributes));
        Assert.Equal(new Dictionary<string, string> { ["City"] = "York" }, JsonSerializer.Deserialize<Dictionary<string, string>>(people[1].Attributes));
        Assert.All(people, p => Assert.Equal(SubscriptionStatus.Pending, Assert.Single(p.Subscriptions).Status));
        Assert.Equal("import: members.csv", people[0].Source);

        var consent = await Server.QueryAsync(db => db.Consents.SingleAsync(c => c.SubscriberId == people[0].Id));
        Assert.Matches($@"^imported from members\.csv by admin-token at {DateTime.UtcNow:yyyy-MM-dd} \d\d:\d\d UTC$", consent.Wording);
        Assert.Equal(consent.Id, people[0].Subscriptions[0].CurrentConsentId);
        Assert.Null(consent.ConfirmedAt);
        // The uploaded file (personal data) does not stay on disk once the import is over.
        Assert.Empty(Directory.GetFiles(Path.Combine(Server.DataPath, "imports"), "*.csv").Where(f => File.ReadAllText(f).Contains(tag)));
    }

    [Fact]
    public async Task Quoted_fields_a_bom_and_semicolons_are_read_right()
    {
        var tag = Subscribers.Audience.NewTag();
        using var api = Server.CreateClient(admin: true);
        var quoted = $"email,name,note\r\n{tag}-q1@example.com,\"Lee, Ann\",\"line one\r\nline two, with \"\"quotes\"\"\"\r\n{tag}-q2@example.com,Bo,plain\r\nnot-an-address,X,y\r\n";
        var status = await ImportHttp.ImportAsync(api, ImportHttp.Utf8(quoted, bom: true), $"newsletter={TestData.SingleOptIn}");
        Assert.Equal("done", status.GetProperty("status").GetString());
        Assert.Equal(3, status.GetProperty("total").GetInt64());
        var report = await ImportHttp.ReportAsync(api, status);
        Assert.Equal((4L, "not-an-address", "not a valid email address"), Assert.Single(report)); // the fourth row of the file

        var semicolons = $"Name; E-mail ;Town\n\"Jo; Smith\";{tag}-s1@example.com;Bath\nZoë;{tag}-s2@example.com;Köln\n";
        status = await ImportHttp.ImportAsync(api, ImportHttp.Utf8(semicolons), $"newsletter={TestData.SingleOptIn}");
        Assert.Equal("done", status.GetProperty("status").GetString());

        var people = await ImportedAsync(tag);
        Assert.Equal(["Lee, Ann", "Bo", "Jo; Smith", "Zoë"], people.Select(p => p.Name));
        Assert.Equal("line one\r\nline two, with \"quotes\"", JsonSerializer.Deserialize<Dictionary<string, string>>(people[0].Attributes)!["note"]);
        Assert.Equal("Köln", JsonSerializer.Deserialize<Dictionary<string, string>>(people[3].Attributes)!["Town"]);
        Assert.All(people, p => Assert.Equal(SubscriptionStatus.Active, Assert.Single(p.Subscriptions).Status));
    }

    [Fact]
    public async Task Invalid_rows_are_rejected_with_line_and_reason_and_the_rest_imported()
    {
        var tag = Subscribers.Audience.NewTag();
        var text = new StringBuilder("email,name\n");
        var expected = new List<(long, string, string)>();
        for (var i = 0; i < 50; i++)
        {
            var line = i + 2;
            if (i % 10 == 3) { text.Append($"{tag}-{i}@@example.com,Bad\n"); expected.Add((line, $"{tag}-{i}@@example.com", "not a valid email address")); }
            else if (i % 10 == 7) { text.Append(",No address\n"); expected.Add((line, "", "no email address")); }
            else text.Append($"{tag}-{i}@example.com,Good\n");
        }
        using var api = Server.CreateClient(admin: true);
        var status = await ImportHttp.ImportAsync(api, ImportHttp.Utf8(text.ToString()), $"newsletter={TestData.SingleOptIn}&status=active");
        Assert.Equal(10, status.GetProperty("rejected").GetInt64());
        Assert.Equal(expected, await ImportHttp.ReportAsync(api, status));
        Assert.Equal(40, (await ImportedAsync(tag)).Count);
    }

    [Fact]
    public async Task Duplicates_in_the_file_and_in_the_database_follow_the_policy()
    {
        using var api = Server.CreateClient(admin: true);
        foreach (var policy in new[] { "skip", "update" })
        {
            var tag = Subscribers.Audience.NewTag();
            var old = $"{tag}-old@example.com";
            await Server.QueryAsync(async db =>
            {
                var second = await db.Newsletters.SingleAsync(n => n.Slug == TestData.Second);
                db.Subscribers.Add(new Subscriber
                {
                    Email = old, NormalizedEmail = old, Name = "Old Name", Attributes = """{"tier":"gold","city":"Bath"}""", CreatedAt = DateTime.UtcNow,
                    Subscriptions = [new Subscription { NewsletterId = second.Id, Status = SubscriptionStatus.Active, CreatedAt = DateTime.UtcNow }],
                });
                return await db.SaveChangesAsync();
            });
            var file = $"email,name,city\n{old.ToUpperInvariant().Replace("EXAMPLE.COM", "example.com")},New Name,Leeds\n{tag}-new@example.com,First,York\n{tag}-NEW@example.com,Second,Hull\n";
            var status = await ImportHttp.ImportAsync(api, ImportHttp.Utf8(file), $"newsletter={TestData.SingleOptIn}&policy={policy}");
            Assert.Equal("done", status.GetProperty("status").GetString());
            Assert.Equal(0, status.GetProperty("rejected").GetInt64());

            var people = await ImportedAsync(tag);
            Assert.Equal(2, people.Count);
            var existing = people.Single(p => p.NormalizedEmail == old);
            var added = people.Single(p => p.NormalizedEmail == $"{tag}-new@example.com");
            var attributes = JsonSerializer.Deserialize<Dictionary<string, string>>(existing.Attributes);
            if (policy == "skip")
            {
                Assert.Equal("Old Name", existing.Name);
                Assert.Equal("Bath", attributes!["city"]);
                Assert.Equal([TestData.Second], existing.Subscriptions.Select(s => s.Newsletter.Slug));
                Assert.Equal("First", added.Name);
            }
            else
            {
                Assert.Equal("New Name", existing.Name);
                Assert.Equal(new Dictionary<string, string> { ["tier"] = "gold", ["city"] = "Leeds" }, attributes);
                Assert.Equal([TestData.Second, TestData.SingleOptIn], existing.Subscriptions.Select(s => s.Newsletter.Slug).Order());
                Assert.Equal("Second", added.Name);
            }
            Assert.Single(added.Subscriptions);
        }
    }

    [Fact]
    public async Task A_broken_file_gets_a_clear_error_and_imports_nothing()
    {
        var tag = Subscribers.Audience.NewTag();
        using var api = Server.CreateClient(admin: true);
        var jobsBefore = await Server.QueryAsync(db => db.Jobs.CountAsync());
        var cases = new (byte[] File, string Message)[]
        {
            ([.. Encoding.UTF8.GetBytes($"email,name\n{tag}-1@example.com,Jos"), 0xE9, (byte)'\n'], "not UTF-8"),
            ([0x50, 0x4B, 0x03, 0x04, 0x14, 0x00, 0x00, 0x00, 0x08, 0x00, .. Encoding.ASCII.GetBytes($"{tag}-2@example.com")], "binary file"),
            (ImportHttp.Utf8($"name,city\nAnn,{tag}-3@example.com\n"), "No email column found"),
            (ImportHttp.Utf8($"email\tname\n{tag}-4@example.com\tAnn\n"), ""), // tab is a delimiter we read: this one is fine
            (ImportHttp.Utf8("email,name\n"), "no rows"),
            (ImportHttp.Utf8($"email,name\n\"{tag}-5@example.com,Ann\n" + new string('x', 1_100_000)), "quote left open"),
        };
        foreach (var (file, message) in cases)
        {
            using var response = await ImportHttp.PostAsync(api, file, $"newsletter={TestData.SingleOptIn}");
            if (message.Length == 0) { Assert.Equal(HttpStatusCode.Accepted, response.StatusCode); continue; }
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Contains(message, problem.GetProperty("errors").GetProperty("file")[0].GetString());
        }
        using (var wrongType = await api.PostAsync($"/api/subscribers/import?newsletter={TestData.SingleOptIn}", new StringContent("email\nx@example.com", Encoding.UTF8, "application/json")))
            Assert.Equal(HttpStatusCode.UnsupportedMediaType, wrongType.StatusCode);
        using (var noNewsletter = await ImportHttp.PostAsync(api, ImportHttp.Utf8("email\nx@example.com\n"), "newsletter=no-such-one"))
            Assert.Equal(HttpStatusCode.BadRequest, noNewsletter.StatusCode);

        Assert.Equal(jobsBefore + 1, await Server.QueryAsync(db => db.Jobs.CountAsync()));
        Assert.DoesNotContain(await ImportedAsync(tag), p => p.Email != $"{tag}-4@example.com");
    }

    [Fact]
    public async Task Suppressed_addresses_are_rejected()
    {
        var tag = Subscribers.Audience.NewTag();
        var suppressed = $"{tag}-gone@example.com";
        await using (var scope = Server.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<Broadsheet.Data.BroadsheetDb>();
            await scope.ServiceProvider.GetRequiredService<SuppressionList>().AddAsync(suppressed, SuppressionReason.Complaint, null, default);
            await db.SaveChangesAsync();
        }
        using var api = Server.CreateClient(admin: true);
        var status = await ImportHttp.ImportAsync(api, ImportHttp.Utf8($"email\n{tag}-kept@example.com\n{suppressed.ToUpperInvariant()}\n"), $"newsletter={TestData.SingleOptIn}");
        var refused = Assert.Single(await ImportHttp.ReportAsync(api, status));
        Assert.Equal((3L, "on the suppression list"), (refused.Line, refused.Reason));
        Assert.Equal(suppressed, refused.Value, ignoreCase: true);
        Assert.Equal([$"{tag}-kept@example.com"], (await ImportedAsync(tag)).Select(p => p.Email));
    }

    [Fact]
    public async Task Every_line_of_a_suppressed_address_is_reported_in_line_order_with_the_invalid_ones()
    {
        var tag = Subscribers.Audience.NewTag();
        var suppressed = $"{tag}-gone@example.com";
        await using (var scope = Server.Services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<SuppressionList>().AddAsync(suppressed, SuppressionReason.Erased, null, default);
            await scope.ServiceProvider.GetRequiredService<Broadsheet.Data.BroadsheetDb>().SaveChangesAsync();
        }
        using var api = Server.CreateClient(admin: true);
        var file = $"email,name\n{tag}-a@example.com,A\n{suppressed.ToUpperInvariant()},X\nnot-an-address,Y\n{suppressed},Z\n{tag}-b@example.com,B\n";
        var status = await ImportHttp.ImportAsync(api, ImportHttp.Utf8(file), $"newsletter={TestData.SingleOptIn}&policy=update");
        Assert.Equal(3, status.GetProperty("rejected").GetInt64());
        var report = await ImportHttp.ReportAsync(api, status);
        Assert.Equal([(3L, "on the suppression list"), (4L, "not a valid email address"), (5L, "on the suppression list")], report.Select(r => (r.Line, r.Reason)));
        Assert.Equal([$"{tag}-a@example.com", $"{tag}-b@example.com"], (await ImportedAsync(tag)).Select(p => p.Email));
    }

    [Fact]
    public async Task Updating_an_unsubscribed_reader_keeps_the_subscription_ended_and_records_no_consent()
    {
        var tag = Subscribers.Audience.NewTag();
        var email = $"{tag}-left@example.com";
        var id = await Server.QueryAsync(async db =>
        {
            var newsletter = await db.Newsletters.SingleAsync(n => n.Slug == TestData.SingleOptIn);
            var subscriber = new Subscriber
            {
                Email = email, NormalizedEmail = email, Name = "Left", CreatedAt = DateTime.UtcNow,
                Subscriptions = [new Subscription { NewsletterId = newsletter.Id, Status = SubscriptionStatus.Unsubscribed, CreatedAt = DateTime.UtcNow, UnsubscribedAt = DateTime.UtcNow }],
            };
            db.Subscribers.Add(subscriber);
            await db.SaveChangesAsync();
            return subscriber.Id;
        });
        using var api = Server.CreateClient(admin: true);
        var status = await ImportHttp.ImportAsync(api, ImportHttp.Utf8($"email,name,plan\n{email},Came Back,gold\n{tag}-new@example.com,New,basic\n"),
            $"newsletter={TestData.SingleOptIn}&policy=update");
        Assert.Equal("done", status.GetProperty("status").GetString());

        var people = await ImportedAsync(tag);
        var left = people.Single(p => p.Id == id);
        Assert.Equal("Came Back", left.Name);
        Assert.Equal("gold", JsonSerializer.Deserialize<Dictionary<string, string>>(left.Attributes)!["plan"]);
        Assert.Equal(SubscriptionStatus.Unsubscribed, Assert.Single(left.Subscriptions).Status);
        Assert.Equal(0, await Server.QueryAsync(db => db.Consents.CountAsync(c => c.SubscriberId == id)));
        var added = people.Single(p => p.Id != id);
        var consent = await Server.QueryAsync(db => db.Consents.SingleAsync(c => c.SubscriberId == added.Id));
        Assert.Equal(consent.Id, Assert.Single(added.Subscriptions).CurrentConsentId);
    }

    [Fact]
    public async Task A_file_of_several_batches_imports_every_row_once()
    {
        var tag = Subscribers.Audience.NewTag();
        var rows = 2 * BatchSize + 2000;
        var file = ImportHttp.Generated(tag, rows - 1).Concat(Encoding.UTF8.GetBytes($"{tag}-1@example.com,Renamed at the end,premium\n")).ToArray();
        using var api = Server.CreateClient(admin: true);
        var started = DateTime.UtcNow;
        var status = await ImportHttp.ImportAsync(api, file, $"newsletter={TestData.SingleOptIn}&policy=update");
        if (app.Kind == DatabaseKind.Postgres)
        {
            // A large import refreshes the planner's statistics itself (a manual analyze), before the job is done.
            var analyzed = await Server.QueryAsync(db => db.Database.SqlQueryRaw<DateTime?>(
                "SELECT last_analyze AS \"Value\" FROM pg_stat_user_tables WHERE relname = 'Subscribers'").SingleAsync());
            Assert.True(analyzed >= started, $"Subscribers last analyzed {analyzed:O}, the import started {started:O}");
        }
        Assert.Equal("done", status.GetProperty("status").GetString());
        Assert.Equal(rows, status.GetProperty("processed").GetInt64());
        var invalid = (rows - 1) / 1000; // every thousandth generated row
        Assert.Equal(invalid, status.GetProperty("rejected").GetInt64());
        var report = await ImportHttp.ReportAsync(api, status);
        Assert.Equal(Enumerable.Range(0, invalid).Select(k => (long)(k * 1000 + 999 + 2)), report.Select(r => r.Line));

        var count = await Server.QueryAsync(db => db.Subscribers.CountAsync(s => s.NormalizedEmail.StartsWith(tag + "-")));
        Assert.Equal(rows - 1 - invalid, count);
        var renamed = await Server.QueryAsync(db => db.Subscribers.SingleAsync(s => s.NormalizedEmail == $"{tag}-1@example.com"));
        Assert.Equal("Renamed at the end", renamed.Name);
        Assert.Equal(1, await Server.QueryAsync(db => db.Subscriptions.CountAsync(s => s.SubscriberId == renamed.Id)));
    }

    [Fact]
    public async Task An_interrupted_import_resumes_after_the_last_committed_batch_and_cancel_stops_it()
    {
        foreach (var cancel in new[] { false, true })
        {
            var tag = Subscribers.Audience.NewTag();
            var rows = 2 * BatchSize + 2000;
            var invalidPerBatch = BatchSize / 1000; // every thousandth generated row
            var id = await StartHeldImportAsync(tag, rows);

            // One batch commits; the next is cut off before its commit, as if the process died.
            await using (var scope = Server.Services.CreateAsyncScope())
            {
                var db = scope.ServiceProvider.GetRequiredService<Broadsheet.Data.BroadsheetDb>();
                var runner = scope.ServiceProvider.GetRequiredService<ImportRunner>();
                await using (var tx = await db.Database.BeginTransactionAsync())
                {
                    var job = await db.Jobs.SingleAsync(j => j.Id == id);
                    Assert.False(await runner.RunBatchAsync(job, db, default));
                    await db.SaveChangesAsync();
                    await tx.CommitAsync();
                }
                db.ChangeTracker.Clear();
                await using (var tx = await db.Database.BeginTransactionAsync())
                {
                    var job = await db.Jobs.SingleAsync(j => j.Id == id);
                    Assert.False(await runner.RunBatchAsync(job, db, default));
                    await db.SaveChangesAsync();
                }
            }
            var held = await Server.QueryAsync(db => db.Jobs.SingleAsync(j => j.Id == id));
            Assert.Equal(BatchSize, held.Processed);
            Assert.Equal(BatchSize, await Server.QueryAsync(db => db.Subscribers.CountAsync(s => s.NormalizedEmail.StartsWith(tag + "-"))) + invalidPerBatch);

            // The lease runs out: the worker takes the job over.
            await Server.QueryAsync(db => db.Jobs.Where(j => j.Id == id).ExecuteUpdateAsync(s => s.SetProperty(j => j.LeaseUntil, (DateTime?)null).SetProperty(j => j.CancelRequested, cancel)));
            Server.Services.GetRequiredService<JobSignal>().Notify();
            var done = await Admin.ConsoleHttp.WaitForJobAsync(Server, id);
            var subscribers = await Server.QueryAsync(db => db.Subscribers.CountAsync(s => s.NormalizedEmail.StartsWith(tag + "-")));
            var rejections = await Server.QueryAsync(db => db.Set<ImportRejection>().Where(r => r.JobId == id).Select(r => r.Line).ToListAsync());
            if (cancel)
            {
                Assert.Equal(JobStatus.Cancelled, done.Status);
                Assert.Equal(BatchSize - invalidPerBatch, subscribers); // what was committed stays
                Assert.Equal(invalidPerBatch, rejections.Count);
            }
            else
            {
                Assert.Equal(JobStatus.Done, done.Status);
                Assert.Equal(rows, done.Processed);
                Assert.Equal(rows - rows / 1000, subscribers);
                Assert.Equal(Enumerable.Range(0, rows / 1000).Select(k => (long)(k * 1000 + 999 + 2)), rejections.Order());
                Assert.Equal(subscribers, await Server.QueryAsync(db => db.Subscriptions.CountAsync(s => s.Subscriber.NormalizedEmail.StartsWith(tag + "-"))));
                Assert.Equal(subscribers, await Server.QueryAsync(db => db.Consents.CountAsync(c => db.Subscribers.Any(s => s.Id == c.SubscriberId && s.NormalizedEmail.StartsWith(tag + "-")))));
            }
        }
    }

    /// <summary>Stores a generated file and queues its import already leased, so that the test drives the first batches.</summary>
    private async Task<long> StartHeldImportAsync(string tag, int rows)
    {
        var path = Path.Combine(Directory.CreateDirectory(Path.Combine(Server.DataPath, "imports")).FullName, $"held-{tag}.csv");
        await File.WriteAllBytesAsync(path, ImportHttp.Generated(tag, rows));
        var parameters = new ImportParameters("held.csv", path, TestData.SingleOptIn, false, DuplicatePolicy.Skip, ',', "email", "name", "test", DateTime.UtcNow);
        return await Server.QueryAsync(async db =>
        {
            var job = new Job
            {
                Kind = JobKind.Import, Status = JobStatus.Running, Parameters = JsonSerializer.Serialize(parameters), Total = rows,
                LeaseUntil = DateTime.UtcNow.AddHours(1), CreatedBy = "test", CreatedAt = DateTime.UtcNow, Title = "held import",
            };
            db.Jobs.Add(job);
            await db.SaveChangesAsync();
            return job.Id;
        });
    }
}

[Collection(SqliteCollection.Name)]
public sealed class ImportTestsOnSqlite(SqliteApp app) : ImportTests(app);

[Collection(PostgresCollection.Name)]
public sealed class ImportTestsOnPostgres(PostgresApp app) : ImportTests(app);
