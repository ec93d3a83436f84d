using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Broadsheet.Admin;
using Broadsheet.Subscribers;
using Broadsheet.Tests.Admin;
using Broadsheet.Tests.Import;
using Broadsheet.Tests.Infrastructure;
using Broadsheet.Tests.Signup;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Broadsheet.Tests.Subscribers;

/// <summary>The reader's preferences page (download, erase), erasure from the console, and the suppression list.</summary>
public abstract partial class PrivacyTests(AppFixture app)
{
    private BroadsheetServer Server => app.Server;

    [Fact]
    public async Task From_the_confirmation_email_a_reader_downloads_their_data_and_erases_themselves()
    {
        var email = TestData.NewEmail("erase");
        using var reader = Server.CreateClient(cookies: true);
        Assert.Equal("success", await SignupHttp.SignUpAsync(reader, email));
        var message = await app.Smtp.WaitForAsync(email);
        await SignupHttp.ConfirmAsync(reader, SignupHttp.ConfirmLink(message));
        var link = PreferencesLink().Match(message.TextBody).Value;
        Assert.NotEmpty(link);

        var page = await reader.GetStringAsync(SignupHttp.Local(link));
        Assert.Contains(email, page);
        Assert.Contains("The Morning Briefing</strong>: active", page);
        var token = AntiforgeryField().Match(page).Groups[1].Value;
        var action = WebUtility.HtmlDecode(DownloadAction().Match(page).Groups[1].Value);
        using var download = await reader.PostAsync(action, new FormUrlEncodedContent(new Dictionary<string, string> { ["__RequestVerificationToken"] = token }));
        Assert.Equal("application/json", download.Content.Headers.ContentType!.MediaType);
        var data = await download.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(email, data.GetProperty("email").GetString());
        Assert.Equal("Active", data.GetProperty("subscriptions")[0].GetProperty("status").GetString());
        Assert.NotNull(data.GetProperty("consents")[0].GetProperty("confirmedAt").GetString());
        Assert.Contains(data.GetProperty("emails").EnumerateArray(), e => e.GetProperty("kind").GetString() == "confirm");

        var erase = WebUtility.HtmlDecode(EraseAction().Match(page).Groups[1].Value);
        using (var unconfirmed = await reader.PostAsync(erase, new FormUrlEncodedContent(new Dictionary<string, string> { ["__RequestVerificationToken"] = token })))
            Assert.Contains(email, await unconfirmed.Content.ReadAsStringAsync()); // the box was not ticked: nothing happens
        using var erased = await reader.PostAsync(erase, new FormUrlEncodedContent(new Dictionary<string, string> { ["confirm"] = "true", ["__RequestVerificationToken"] = token }));
        var after = await erased.Content.ReadAsStringAsync();
        Assert.Contains("has been erased", after);
        Assert.DoesNotContain(email, after);
        await AssertErasedAsync(email);

        // Signing up again looks like success and stores nothing; an import skips the address.
        Assert.Equal("success", await SignupHttp.SignUpAsync(Server.CreateClient(), email));
        using var api = Server.CreateClient(admin: true);
        var import = await ImportHttp.ImportAsync(api, ImportHttp.Utf8($"email\n{email}\n"), $"newsletter={TestData.SingleOptIn}");
        Assert.Equal("on the suppression list", Assert.Single(await ImportHttp.ReportAsync(api, import)).Reason); // the uploader's own report
        await AssertErasedAsync(email, afterReimport: true);
        await Task.Delay(500);
        Assert.Single(app.Smtp.To(email)); // only the first confirmation, ever
    }

    [Fact]
    public async Task Owners_export_and_erase_from_the_console_editors_cannot()
    {
        var email = TestData.NewEmail("console-erase");
        var id = await Server.QueryAsync(async db =>
        {
            var s = new Subscriber { Email = email, NormalizedEmail = email, Name = "To Be Erased", CreatedAt = DateTime.UtcNow };
            db.Subscribers.Add(s);
            await db.SaveChangesAsync();
            return s.Id;
        });
        var (editor, _) = await ConsoleHttp.SignedInAsync(Server, AdminRole.Editor);
        var (owner, ownerEmail) = await ConsoleHttp.SignedInAsync(Server, AdminRole.Owner);
        using (editor) using (owner)
        {
            var detail = $"/admin/subscribers/{id}";
            using (var export = await editor.GetAsync($"{detail}?handler=Export")) Assert.StartsWith("/admin/denied", export.Headers.Location!.PathAndQuery());
            using (var refused = await ConsoleHttp.PostFormAsync(editor, detail, new Dictionary<string, string>(), $"{detail}?handler=Erase"))
                Assert.StartsWith("/admin/denied", refused.Headers.Location!.PathAndQuery());
            Assert.True(await Server.QueryAsync(db => db.Subscribers.AnyAsync(s => s.Id == id)));

            var data = await owner.GetFromJsonAsync<JsonElement>($"{detail}?handler=Export");
            Assert.Equal("To Be Erased", data.GetProperty("name").GetString());
            using var erased = await ConsoleHttp.PostFormAsync(owner, detail, new Dictionary<string, string>(), $"{detail}?handler=Erase");
            Assert.Equal(HttpStatusCode.Redirect, erased.StatusCode);
            await AssertErasedAsync(email);
            var audit = await Server.QueryAsync(db => db.AuditEntries.Where(e => e.Actor == ownerEmail).ToListAsync());
            Assert.Contains(audit, e => e.Action == "subscriber.erase" && e.Target == $"subscriber #{id}");
            Assert.DoesNotContain(await Server.QueryAsync(db => db.AuditEntries.ToListAsync()), e => $"{e.Target} {e.Details}".Contains(email));
        }
    }

    [Fact]
    public async Task The_suppression_list_adds_and_removes_with_a_reason_and_a_suppressed_reader_gets_no_mail()
    {
        var email = TestData.NewEmail("suppress");
        var (owner, _) = await ConsoleHttp.SignedInAsync(Server, AdminRole.Owner);
        var (editor, _) = await ConsoleHttp.SignedInAsync(Server, AdminRole.Editor);
        using (owner) using (editor)
        {
            using (var refused = await ConsoleHttp.PostFormAsync(editor, "/admin/suppressions", new Dictionary<string, string> { ["email"] = email, ["reason"] = "Manual" }, "/admin/suppressions?handler=Add"))
                Assert.StartsWith("/admin/denied", refused.Headers.Location!.PathAndQuery());

            // A pending reader is suppressed: the reminder a new sign-up would send never goes out.
            Assert.Equal("success", await SignupHttp.SignUpAsync(Server.CreateClient(), email, TestData.Second));
            await app.Smtp.WaitForAsync(email);
            using var added = await ConsoleHttp.PostFormAsync(owner, "/admin/suppressions",
                new Dictionary<string, string> { ["email"] = email.ToUpperInvariant(), ["reason"] = "Complaint", ["note"] = "ticket 42" }, "/admin/suppressions?handler=Add");
            Assert.Contains("Suppressed.", await added.Content.ReadAsStringAsync());
            Assert.Contains($"{email} is suppressed.", await owner.GetStringAsync($"/admin/suppressions?lookup={Uri.EscapeDataString(email)}"));
            var entry = await Server.QueryAsync(db => db.Suppressions.OrderByDescending(s => s.Id).FirstAsync(s => s.Note == "ticket 42"));
            Assert.Equal(SuppressionReason.Complaint, entry.Reason);
            Assert.DoesNotContain(email, entry.AddressHash);
            Assert.Equal(SubscriberStatus.Suppressed, await Server.QueryAsync(db => db.Subscribers.Where(s => s.NormalizedEmail == email).Select(s => s.Status).SingleAsync()));

            Assert.Equal("success", await SignupHttp.SignUpAsync(Server.CreateClient(), email, TestData.Default));
            Assert.Equal("success", await SignupHttp.SignUpAsync(Server.CreateClient(), email, TestData.SingleOptIn));
            await Task.Delay(1000);
            Assert.Single(app.Smtp.To(email));
            Assert.False(await Server.QueryAsync(db => db.Subscriptions.AnyAsync(s => s.Subscriber.NormalizedEmail == email && s.Status == SubscriptionStatus.Active)));

            using var removed = await ConsoleHttp.PostFormAsync(owner, "/admin/suppressions", new Dictionary<string, string> { ["id"] = entry.Id.ToString() }, "/admin/suppressions?handler=Remove");
            Assert.Equal(HttpStatusCode.Redirect, removed.StatusCode);
            Assert.Contains("is not suppressed.", await owner.GetStringAsync($"/admin/suppressions?lookup={Uri.EscapeDataString(email)}"));
            Assert.Equal(SubscriberStatus.Active, await Server.QueryAsync(db => db.Subscribers.Where(s => s.NormalizedEmail == email).Select(s => s.Status).SingleAsync()));
        }
    }

    private async Task AssertErasedAsync(string email, bool afterReimport = false)
    {
        Assert.False(await Server.QueryAsync(db => db.Subscribers.AnyAsync(s => s.NormalizedEmail == email)));
        Assert.False(await Server.QueryAsync(db => db.Consents.AnyAsync(c => c.Subscription.Subscriber.NormalizedEmail == email)));
        Assert.False(await Server.QueryAsync(db => db.OutboundEmails.AnyAsync(m => m.ToAddress == email)));
        if (!afterReimport) Assert.False(await Server.QueryAsync(db => db.Set<Broadsheet.Import.ImportRejection>().AnyAsync(r => r.Value == email)));
        await using var scope = Server.Services.CreateAsyncScope();
        var suppressions = scope.ServiceProvider.GetRequiredService<SuppressionList>();
        Assert.True(await suppressions.ContainsAsync(email, default));
    }

    [GeneratedRegex(@"https?://\S+/preferences\?o=\S+")]
    private static partial Regex PreferencesLink();

    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();

    [GeneratedRegex("<form method=\"post\" action=\"([^\"]*handler=Download[^\"]*)\"")]
    private static partial Regex DownloadAction();

    [GeneratedRegex("<form method=\"post\" action=\"([^\"]*handler=Erase[^\"]*)\"")]
    private static partial Regex EraseAction();
}

[Collection(SqliteCollection.Name)]
public sealed class PrivacyTestsOnSqlite(SqliteApp app) : PrivacyTests(app);

[Collection(PostgresCollection.Name)]
public sealed class PrivacyTestsOnPostgres(PostgresApp app) : PrivacyTests(app);
