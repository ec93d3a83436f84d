using System.Net.Http.Json;
using System.Text.Json;
using Broadsheet.Signup;
using Broadsheet.Subscribers;
using Broadsheet.Tests.Infrastructure;
using Broadsheet.Tests.Signup;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using static Broadsheet.Tests.Subscribers.PreferencesHttp;

namespace Broadsheet.Tests.Subscribers;

/// <summary>Changing address on the preference page: a link to the new address, its Confirm button, and every refusal.</summary>
public abstract class AddressChangeTests(AppFixture app)
{
    private BroadsheetServer Server => app.Server;

    private Task<Subscriber> SubscriberAsync(long id) => Server.QueryAsync(db => db.Subscribers.AsNoTracking().SingleAsync(s => s.Id == id));

    private Task<List<string>> QueuedKindsAsync(string address) =>
        Server.QueryAsync(db => db.OutboundEmails.Where(m => m.ToAddress == address).OrderBy(m => m.Id).Select(m => m.Kind).ToListAsync());

    [Fact]
    public async Task The_link_mailed_to_the_new_address_moves_the_reader_there_and_tells_the_old_address()
    {
        var (oldEmail, id) = await ReaderAsync(app, "move");
        var newEmail = TestData.NewEmail("moved");
        using var reader = Server.CreateClient(cookies: true);
        var page = await RequestChangeAsync(reader, PageUrl(Server, oldEmail), newEmail.Replace("example.com", "EXAMPLE.com"));
        Assert.Contains($"We have sent a link to {newEmail}.", page); // normalised like a sign-up
        Assert.Equal(oldEmail, (await SubscriberAsync(id)).Email);

        var link = ChangeLink(await app.Smtp.WaitForAsync(newEmail));
        var confirmPage = await reader.GetStringAsync(link);
        Assert.True(HasConfirmButton(confirmPage));
        Assert.Contains(newEmail, confirmPage);
        Assert.Equal(oldEmail, (await SubscriberAsync(id)).Email); // opening the link changes nothing
        Assert.Empty(await QueuedKindsAsync(oldEmail));

        var done = await ConfirmChangeAsync(reader, link);
        Assert.Contains($"your newsletters now go to <strong>{newEmail}</strong>", done);
        var moved = await SubscriberAsync(id);
        Assert.Equal((newEmail, newEmail), (moved.Email, moved.NormalizedEmail));
        Assert.Equal(SubscriptionStatus.Active, Assert.Single((await AddressRecords.LoadAsync(Server, newEmail)).Subscriptions).Status);
        Assert.Contains(await Server.QueryAsync(db => db.AuditEntries.Where(a => a.Target == $"subscriber #{id}").Select(a => a.Action).ToListAsync()), a => a == AddressChange.ChangedAction);

        // The old address hears of it, with the new one only hinted at.
        var notice = await app.Smtp.WaitForAsync(oldEmail);
        Assert.Contains($"{newEmail[0]}…@example.com", notice.TextBody);
        Assert.DoesNotContain(newEmail, notice.TextBody);
        Assert.DoesNotContain(newEmail, notice.HtmlBody);

        // Links naming the old address lead nowhere now; the page links to the reader's page under the new one.
        Assert.Contains("not valid any more", await reader.GetStringAsync(PageUrl(Server, oldEmail)));
        var preferences = System.Net.WebUtility.HtmlDecode(System.Text.RegularExpressions.Regex.Match(done, "href=\"(/preferences\\?o=[^\"]+)\"").Groups[1].Value);
        Assert.Contains($"Signed in as <strong>{newEmail}</strong>", await reader.GetStringAsync(preferences));

        // The reader's data includes the mail sent to the old address, and erasure leaves neither address behind.
        var token = await Admin.ConsoleHttp.TokenAsync(reader, preferences);
        using (var download = await reader.PostAsync($"{preferences}&handler=Download", new FormUrlEncodedContent(new Dictionary<string, string> { ["__RequestVerificationToken"] = token })))
        {
            var kinds = (await download.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("emails").EnumerateArray().Select(e => e.GetProperty("kind").GetString()).ToList();
            Assert.Equal(["change-address", "address-changed"], kinds);
        }
        using var erase = await reader.PostAsync($"{preferences}&handler=Erase", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["confirm"] = "true", ["__RequestVerificationToken"] = token,
        }));
        Assert.Contains("has been erased", await erase.Content.ReadAsStringAsync());
        Assert.Empty(await QueuedKindsAsync(oldEmail));
        Assert.Empty(await QueuedKindsAsync(newEmail));
    }

    [Fact]
    public async Task A_used_link_cannot_be_replayed_not_even_after_the_address_changes_back()
    {
        var (first, id) = await ReaderAsync(app, "replay");
        var second = TestData.NewEmail("replay-2");
        using var reader = Server.CreateClient(cookies: true);
        await RequestChangeAsync(reader, PageUrl(Server, first), second);
        var link = ChangeLink(await app.Smtp.WaitForAsync(second));
        Assert.Contains("now go to", await ConfirmChangeAsync(reader, link));

        var again = await ConfirmChangeAsync(reader, link);
        Assert.Contains("This link has been used already", again);
        Assert.False(HasConfirmButton(again));

        // Back to the first address (a genuine link, as the page would mail it ten minutes later), then the old link once more.
        var back = Server.Services.GetRequiredService<SignupTokens>().ForAddressChange(new AddressChangeClaim(id, second, first, DateTime.UtcNow));
        Assert.Contains("now go to", await ConfirmChangeAsync(reader, PublicLinksPath(back)));
        Assert.Equal(first, (await SubscriberAsync(id)).Email);

        var replayed = await reader.GetStringAsync(link);
        Assert.Contains("not valid any more", replayed);
        Assert.False(HasConfirmButton(replayed));
        Assert.Contains("not valid any more", await ConfirmChangeAsync(reader, link));
        Assert.Equal(first, (await SubscriberAsync(id)).Email);
        Assert.Equal(["address-changed"], await QueuedKindsAsync(first)); // one notice per change that happened
    }

    [Fact]
    public async Task An_expired_link_shows_why_and_changes_nothing()
    {
        var (email, id) = await ReaderAsync(app, "expired");
        var target = TestData.NewEmail("expired-target");
        var genuine = Server.Services.GetRequiredService<SignupTokens>().ForAddressChange(new AddressChangeClaim(id, email, target, DateTime.UtcNow));
        var expired = PublicLinksPath(Expired(Server, "Broadsheet.Subscribers.AddressChange.v1", genuine));
        using var reader = Server.CreateClient(cookies: true);

        foreach (var path in new[] { expired, "/preferences/address?t=forged" })
        {
            var page = await reader.GetStringAsync(path);
            Assert.Contains("not valid any more", page);
            Assert.False(HasConfirmButton(page));
            Assert.Contains("not valid any more", await ConfirmChangeAsync(reader, path));
        }
        Assert.Equal(email, (await SubscriberAsync(id)).Email);
    }

    [Fact]
    public async Task An_address_another_subscriber_has_is_named_registered_and_never_merged()
    {
        var (email, id) = await ReaderAsync(app, "taken");
        var (other, otherId) = await ReaderAsync(app, "owner");
        using var reader = Server.CreateClient(cookies: true);

        // Asking tells nothing about the other address: the link goes there like any other.
        Assert.Contains($"We have sent a link to {other}.", await RequestChangeAsync(reader, PageUrl(Server, email), other));
        var link = ChangeLink(await app.Smtp.WaitForAsync(other));

        var registered = SeedArticle.Parse(TestEnvironment.SeedText).ExistingMore;
        var page = System.Net.WebUtility.HtmlDecode(await reader.GetStringAsync(link));
        Assert.Contains(registered, page);
        Assert.False(HasConfirmButton(page));
        Assert.Contains(registered, await ConfirmChangeAsync(reader, link));

        Assert.Equal(email, (await SubscriberAsync(id)).Email);
        Assert.Equal(other, (await SubscriberAsync(otherId)).Email);
        Assert.Single((await AddressRecords.LoadAsync(Server, email)).Subscriptions);
        Assert.Single((await AddressRecords.LoadAsync(Server, other)).Subscriptions);
        Assert.Empty(await QueuedKindsAsync(email));
    }

    [Fact]
    public async Task A_suppressed_address_is_refused_quietly_and_the_request_counts_toward_the_ten_minute_limit()
    {
        var (email, id) = await ReaderAsync(app, "to-suppressed");
        var suppressed = TestData.NewEmail("suppressed");
        await using (var scope = Server.Services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<SuppressionList>().AddAsync(suppressed, SuppressionReason.Manual, null, default);
            await scope.ServiceProvider.GetRequiredService<Broadsheet.Data.BroadsheetDb>().SaveChangesAsync();
        }
        using var reader = Server.CreateClient(cookies: true);
        var url = PageUrl(Server, email);

        Assert.Contains($"We have sent a link to {suppressed}.", await RequestChangeAsync(reader, url, suppressed));
        Assert.Empty(await QueuedKindsAsync(suppressed));

        // A second request within ten minutes is refused as after any link, suppressed or not.
        var next = TestData.NewEmail("too-soon");
        Assert.Contains("We sent a link a few minutes ago", await RequestChangeAsync(reader, url, next));
        Assert.Empty(await QueuedKindsAsync(next));
        Assert.Equal(email, (await SubscriberAsync(id)).Email);
        Assert.Empty(app.Smtp.To(suppressed));
    }

    [Fact]
    public async Task An_invalid_address_gets_the_sign_up_module_s_words_and_the_current_address_is_no_change()
    {
        var (email, id) = await ReaderAsync(app, "invalid");
        using var reader = Server.CreateClient(cookies: true);
        var url = PageUrl(Server, email);

        var invalid = await RequestChangeAsync(reader, url, "not an address@");
        Assert.Contains(SeedArticle.Parse(TestEnvironment.SeedText).InvalidEmail, invalid);
        Assert.Contains("value=\"not an address@\" aria-invalid=\"true\"", invalid);
        Assert.Contains("That is already your address.", await RequestChangeAsync(reader, url, email.ToUpperInvariant()));

        // Neither counted as a request: a real one still goes out at once.
        var target = TestData.NewEmail("after-invalid");
        Assert.Contains("We have sent a link", await RequestChangeAsync(reader, url, target));
        Assert.Equal(["change-address"], await QueuedKindsAsync(target));
        Assert.Equal(email, (await SubscriberAsync(id)).Email);
    }

    private static string PublicLinksPath(string token) => Broadsheet.Site.PublicLinks.AddressChangePath(token);
}

[Collection(SqliteCollection.Name)]
public sealed class AddressChangeTestsOnSqlite(SqliteApp app) : AddressChangeTests(app);

[Collection(PostgresCollection.Name)]
public sealed class AddressChangeTestsOnPostgres(PostgresApp app) : AddressChangeTests(app);
