using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Broadsheet.Tests.Infrastructure;

namespace Broadsheet.Tests.Signup;

/// <summary>Consent evidence, the honeypot, the public JSON API and its OpenAPI description, and the one-transaction rule.</summary>
public abstract class ConsentAndApiTests(AppFixture app)
{
    [Fact]
    public async Task Every_subscription_records_its_consent()
    {
        var seed = SeedArticle.Parse(TestEnvironment.SeedText);
        var email = TestData.NewEmail("consent");
        using var client = app.Server.CreateClient(cookies: true);
        var page = app.Server.BaseAddress + "articles/some-story";
        var request = new HttpRequestMessage(HttpMethod.Post, "/signup")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["email"] = email, ["newsletter"] = TestData.Second, ["returnUrl"] = "/articles/some-story" }),
        };
        request.Headers.Referrer = new Uri(page);
        var before = DateTime.UtcNow.AddSeconds(-1);
        (await client.SendAsync(request)).Dispose();

        var records = await AddressRecords.LoadAsync(app.Server, email);
        var consent = Assert.Single(records.Consents);
        Assert.Equal(TestData.Second, records.Subscriptions[0].Newsletter.Slug);
        Assert.Equal(records.Subscriptions[0].NewsletterId, consent.NewsletterId);
        Assert.Equal(records.Subscribers[0].Id, consent.SubscriberId);
        Assert.Contains(seed.Heading, consent.Wording);
        Assert.Contains(seed.Submit, consent.Wording);
        Assert.Equal(page, consent.SourceUrl);
        Assert.Equal("127.0.0.1", consent.IpAddress);
        Assert.InRange(consent.GivenAt, before, DateTime.UtcNow.AddSeconds(1));
        Assert.Null(consent.ConfirmedAt);

        await SignupHttp.ConfirmAsync(client, SignupHttp.ConfirmLink(await app.Smtp.WaitForAsync(email)));
        consent = Assert.Single((await AddressRecords.LoadAsync(app.Server, email)).Consents);
        Assert.InRange(consent.ConfirmedAt!.Value, consent.GivenAt, DateTime.UtcNow.AddSeconds(1));

        // An app names its page itself.
        var apiEmail = TestData.NewEmail("consent");
        (await SignupHttp.PostApiAsync(client, new { email = apiEmail, newsletters = new[] { TestData.Default }, source = "https://partner.example/page" })).Dispose();
        Assert.Equal("https://partner.example/page", Assert.Single((await AddressRecords.LoadAsync(app.Server, apiEmail)).Consents).SourceUrl);
    }

    [Fact]
    public async Task A_filled_honeypot_looks_successful_and_stores_nothing()
    {
        var email = TestData.NewEmail("bot");
        using var client = app.Server.CreateClient();
        using var plain = await SignupHttp.PostFormAsync(client, email, extra: new Dictionary<string, string> { ["website"] = "http://spam.example" });
        Assert.Equal(HttpStatusCode.Found, plain.StatusCode);
        Assert.Contains("signup=success", plain.Headers.Location!.OriginalString);
        using var json = await SignupHttp.PostFormAsync(client, email, json: true, extra: new Dictionary<string, string> { ["website"] = "x" });
        Assert.Contains("\"success\"", await json.Content.ReadAsStringAsync());
        Assert.True((await AddressRecords.LoadAsync(app.Server, email)).IsEmpty);
    }

    [Fact]
    public async Task Public_api_applies_the_rules_and_answers_problem_details()
    {
        using var client = app.Server.CreateClient();
        var email = TestData.NewEmail("api");
        using var ok = await SignupHttp.PostApiAsync(client, new { email, newsletters = new[] { TestData.Default, TestData.Second } });
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal("success", (await ok.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("state").GetString());
        var records = await AddressRecords.LoadAsync(app.Server, email);
        Assert.Equal(2, records.Subscriptions.Count);
        Assert.All(records.Subscriptions, s => Assert.Equal(Broadsheet.Subscribers.SubscriptionStatus.Pending, s.Status));

        using var invalid = await SignupHttp.PostApiAsync(client, new { email = "not-an-address", newsletters = new[] { TestData.Default } });
        await AssertProblemAsync(invalid, HttpStatusCode.BadRequest, "email");
        using var unknown = await SignupHttp.PostApiAsync(client, new { email = TestData.NewEmail(), newsletters = new[] { "no-such-newsletter" } });
        await AssertProblemAsync(unknown, HttpStatusCode.BadRequest, "newsletters");
        using var malformed = await client.PostAsync("/api/public/subscriptions", new StringContent("{\"email\": ", System.Text.Encoding.UTF8, "application/json"));
        await AssertProblemAsync(malformed, HttpStatusCode.BadRequest, null);
    }

    [Fact]
    public async Task OpenApi_document_describes_the_public_api_responses()
    {
        using var client = app.Server.CreateClient();
        var doc = await client.GetFromJsonAsync<JsonElement>("/openapi/v1.json");
        var post = doc.GetProperty("paths").GetProperty("/api/public/subscriptions").GetProperty("post");
        Assert.True(post.TryGetProperty("requestBody", out _));
        var codes = post.GetProperty("responses").EnumerateObject().Select(p => p.Name).ToHashSet();
        foreach (var code in new[] { "200", "400", "403", "429", "503" }) Assert.Contains(code, codes);
    }

    [Fact]
    public async Task A_failure_while_queueing_the_confirmation_leaves_nothing_half_written()
    {
        var templates = Path.Combine(app.Server.DataPath, "templates");
        Directory.CreateDirectory(templates);
        var broken = Path.Combine(templates, "confirm.html.liquid");
        var email = TestData.NewEmail("atomic");
        try
        {
            await File.WriteAllTextAsync(broken, "<p>{% if unclosed %}</p>"); // does not parse
            using var client = app.Server.CreateClient();
            using var json = await SignupHttp.PostFormAsync(client, email, json: true);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, json.StatusCode);
            Assert.Contains("\"failure\"", await json.Content.ReadAsStringAsync());
            using var plain = await SignupHttp.PostFormAsync(client, email);
            Assert.Contains("signup=failure", plain.Headers.Location!.OriginalString);
            using var api = await SignupHttp.PostApiAsync(client, new { email, newsletters = new[] { TestData.Default } });
            await AssertProblemAsync(api, HttpStatusCode.ServiceUnavailable, null);
            Assert.True((await AddressRecords.LoadAsync(app.Server, email)).IsEmpty);
        }
        finally
        {
            File.Delete(broken);
        }

        using var again = app.Server.CreateClient();
        Assert.Equal("success", await SignupHttp.SignUpAsync(again, email));
        var records = await AddressRecords.LoadAsync(app.Server, email);
        Assert.Single(records.Subscribers);
        Assert.Single(records.Consents);
        Assert.Single(records.Mail);
    }

    internal static async Task<JsonElement> AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string? field)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        if (field is not null) Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"The problem does not name {field}.");
        return problem;
    }
}

[Collection(SqliteCollection.Name)]
public sealed class ConsentAndApiTestsOnSqlite(SqliteApp app) : ConsentAndApiTests(app);

[Collection(PostgresCollection.Name)]
public sealed class ConsentAndApiTestsOnPostgres(PostgresApp app) : ConsentAndApiTests(app);
