using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Broadsheet.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Broadsheet.Tests.Signup;

/// <summary>Invalid addresses from email-addresses.tsv, posted to the public API: 400 with an email error, nothing stored.</summary>
public abstract class InvalidEmailAddressApiTests(AppFixture app)
{
    public static TheoryData<int> Lines => [.. EmailAddressTable.Cases
        .Where(c => c.Expected is null)
        .Where(c => c.Reason is "display name" or "quoted local part" or "header injection with CR/LF" or "NUL in local part"
            or "IPv4 literal" or "bare IPv4 address" or "no dot in domain" or "255 characters" or "local part of 65 characters"
            or "umlaut in local part" or "emoji domain (snowman): symbols refused" or "zero-width space in domain (IDNA would drop it; we refuse)"
            or "only spaces" or "full-width @ is not @" or "label mixing Latin and Arabic (bidi rule)")
        .Select(c => c.Line)];

    [Theory]
    [MemberData(nameof(Lines))]
    public async Task Invalid_address_is_refused_and_nothing_is_stored(int line)
    {
        var row = EmailAddressTable.At(line);
        var before = await CountsAsync();

        using var client = app.Server.CreateClient();
        var response = await client.PostAsJsonAsync("/api/public/subscriptions", new { email = row.Input, newsletters = new[] { TestData.Default } });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("Please enter a valid email address", problem.GetProperty("errors").GetProperty("email")[0].GetString());
        Assert.Equal(before, await CountsAsync());
    }

    [Fact]
    public void Picks_a_handful_of_rows() => Assert.Equal(15, Lines.Count);

    // Tests in one collection run one at a time, so the counts move only if this request stored something.
    private Task<(int, int, int, int)> CountsAsync() => app.Server.QueryAsync(async db => (
        await db.Subscribers.CountAsync(), await db.Subscriptions.CountAsync(), await db.Consents.CountAsync(), await db.OutboundEmails.CountAsync()));
}

[Collection(SqliteCollection.Name)]
public sealed class InvalidEmailAddressApiTestsOnSqlite(SqliteApp app) : InvalidEmailAddressApiTests(app);

[Collection(PostgresCollection.Name)]
public sealed class InvalidEmailAddressApiTestsOnPostgres(PostgresApp app) : InvalidEmailAddressApiTests(app);
