using System.Net;
using Broadsheet.Tests.Infrastructure;

namespace Broadsheet.Tests.Signup;

/// <summary>Rate limits per IP and per address, and cross-origin submissions only from configured origins.</summary>
public abstract class AbuseAndOriginTests(DatabaseKind kind)
{
    private const string Partner = "https://partner.example";

    private Task<ExtraApp> StartAsync() => ExtraApp.StartAsync(kind, new Dictionary<string, string?>
    {
        ["Signup:RateLimit:PerIpPerMinute"] = "3",
        ["Signup:RateLimit:PerAddressPerHour"] = "2",
        ["Signup:AllowedOrigins:0"] = Partner,
    });

    [Fact]
    public async Task Limits_per_ip_and_per_address_show_the_failure_state()
    {
        await using var app = await StartAsync();
        using var client = app.Server.CreateClient();

        // Per IP (the app sits behind a loopback proxy, so X-Forwarded-For names the reader).
        for (var i = 0; i < 3; i++)
        {
            using var ok = await SignupHttp.PostFormAsync(client, TestData.NewEmail(), forwardedFor: "203.0.113.10");
            Assert.Contains("signup=success", ok.Headers.Location!.OriginalString);
        }
        var limited = TestData.NewEmail();
        using (var form = await SignupHttp.PostFormAsync(client, limited, forwardedFor: "203.0.113.10"))
        {
            Assert.Equal(HttpStatusCode.Found, form.StatusCode);
            Assert.Contains("signup=failure", form.Headers.Location!.OriginalString);
        }
        using (var api = await SignupHttp.PostApiAsync(client, new { email = limited, newsletters = new[] { TestData.Default } }, forwardedFor: "203.0.113.10"))
            await ConsentAndApiTests.AssertProblemAsync(api, HttpStatusCode.TooManyRequests, null);
        Assert.True((await AddressRecords.LoadAsync(app.Server, limited)).IsEmpty);
        using (var other = await SignupHttp.PostFormAsync(client, limited, forwardedFor: "203.0.113.11"))
            Assert.Contains("signup=success", other.Headers.Location!.OriginalString);

        // Per address, whatever the IP: "limited" has used one of its two.
        using (var second = await SignupHttp.PostFormAsync(client, limited, forwardedFor: "203.0.113.12"))
            Assert.Contains("signup=success", second.Headers.Location!.OriginalString);
        using (var third = await SignupHttp.PostFormAsync(client, limited, forwardedFor: "203.0.113.13"))
            Assert.Contains("signup=failure", third.Headers.Location!.OriginalString);
        using (var api = await SignupHttp.PostApiAsync(client, new { email = limited.ToUpperInvariant(), newsletters = new[] { TestData.Default } }, forwardedFor: "203.0.113.14"))
            await ConsentAndApiTests.AssertProblemAsync(api, HttpStatusCode.TooManyRequests, null);
        using (var json = await SignupHttp.PostFormAsync(client, limited, json: true, forwardedFor: "203.0.113.15"))
            Assert.Contains("\"failure\"", await json.Content.ReadAsStringAsync());
        Assert.Single((await AddressRecords.LoadAsync(app.Server, limited)).Mail);
    }

    [Fact]
    public async Task Only_configured_origins_may_submit_and_get_a_preflight_answer()
    {
        await using var app = await StartAsync();
        using var client = app.Server.CreateClient();

        var email = TestData.NewEmail();
        using (var evil = await SignupHttp.PostFormAsync(client, email, forwardedFor: "203.0.113.20", origin: "https://evil.example"))
            Assert.Equal(HttpStatusCode.Forbidden, evil.StatusCode);
        using (var evil = await SignupHttp.PostApiAsync(client, new { email, newsletters = new[] { TestData.Default } }, "203.0.113.20", "https://evil.example"))
            await ConsentAndApiTests.AssertProblemAsync(evil, HttpStatusCode.Forbidden, null);
        Assert.True((await AddressRecords.LoadAsync(app.Server, email)).IsEmpty);

        using (var preflight = await PreflightAsync(client, "https://evil.example"))
            Assert.False(preflight.Headers.Contains("Access-Control-Allow-Origin"));
        using (var preflight = await PreflightAsync(client, Partner))
        {
            Assert.True(preflight.IsSuccessStatusCode);
            Assert.Equal(Partner, Assert.Single(preflight.Headers.GetValues("Access-Control-Allow-Origin")));
            Assert.Contains("POST", string.Join(",", preflight.Headers.GetValues("Access-Control-Allow-Methods")));
        }

        using (var partner = await SignupHttp.PostApiAsync(client, new { email, newsletters = new[] { TestData.Default } }, "203.0.113.21", Partner))
        {
            Assert.Equal(HttpStatusCode.OK, partner.StatusCode);
            Assert.Equal(Partner, Assert.Single(partner.Headers.GetValues("Access-Control-Allow-Origin")));
        }
        using (var partnerForm = await SignupHttp.PostFormAsync(client, TestData.NewEmail(), json: true, forwardedFor: "203.0.113.22", origin: Partner))
            Assert.Contains("\"success\"", await partnerForm.Content.ReadAsStringAsync());
        using (var own = await SignupHttp.PostFormAsync(client, TestData.NewEmail(), forwardedFor: "203.0.113.23", origin: app.Server.BaseAddress.GetLeftPart(UriPartial.Authority)))
            Assert.Contains("signup=success", own.Headers.Location!.OriginalString);
        Assert.Single((await AddressRecords.LoadAsync(app.Server, email)).Subscriptions);
    }

    private static Task<HttpResponseMessage> PreflightAsync(HttpClient client, string origin)
    {
        var request = new HttpRequestMessage(HttpMethod.Options, "/api/public/subscriptions");
        request.Headers.Add("Origin", origin);
        request.Headers.Add("Access-Control-Request-Method", "POST");
        request.Headers.Add("Access-Control-Request-Headers", "content-type");
        request.Headers.Add("X-Forwarded-For", "203.0.113.29");
        return client.SendAsync(request);
    }
}

public sealed class AbuseAndOriginTestsOnSqlite() : AbuseAndOriginTests(DatabaseKind.Sqlite);

public sealed class AbuseAndOriginTestsOnPostgres() : AbuseAndOriginTests(DatabaseKind.Postgres);
