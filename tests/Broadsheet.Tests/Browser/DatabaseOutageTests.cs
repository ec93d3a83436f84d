using Microsoft.Extensions.DependencyInjection;
using Broadsheet.Tests.Infrastructure;
using Npgsql;
using static Microsoft.Playwright.Assertions;

namespace Broadsheet.Tests.Browser;

/// <summary>An app on PostgreSQL that reaches its database through a <see cref="TcpProxy"/> the test can cut.</summary>
public sealed class ProxiedPostgresApp() : ConfiguredApp(DatabaseKind.Postgres, [])
{
    private readonly NpgsqlConnectionStringBuilder _target = new(TestEnvironment.PostgresServer);
    private TcpProxy? _proxy;

    public TcpProxy Proxy => _proxy ??= new TcpProxy(_target.Host!, _target.Port);

    protected override string ConnectionString => new NpgsqlConnectionStringBuilder(_target.ConnectionString)
    {
        Host = "127.0.0.1", Port = Proxy.Port, Database = $"bs_{Guid.NewGuid():N}", Timeout = 3, CommandTimeout = 5,
    }.ConnectionString;

    public override async Task DisposeAsync()
    {
        Proxy.Start();
        await base.DisposeAsync();
        await Proxy.DisposeAsync();
    }
}

/// <summary>
/// The database goes away mid-session and comes back: the reader sees the failure state, then succeeds with Try again,
/// no restart. Without JavaScript the page after the post still renders (the article is held in memory).
/// </summary>
public sealed class DatabaseOutageTests(ProxiedPostgresApp app) : IClassFixture<ProxiedPostgresApp>
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Database_down_shows_the_failure_state_and_Try_again_succeeds_once_it_is_back(bool javaScript)
    {
        await using var reader = await Reader.OpenAsync(app.Server, javaScript);
        Assert.True(app.Proxy.Accepted > 0); // the app really talks to PostgreSQL through the proxy

        var before = TestData.NewEmail("before-outage");
        await reader.SignUpAsync(before);
        await reader.ExpectSuccessAsync();
        await reader.OpenArticleAsync();

        app.Proxy.Stop();
        var email = TestData.NewEmail(javaScript ? "outage" : "outage-nojs");
        await reader.SignUpAsync(email);
        await reader.ExpectFailureAsync();

        app.Proxy.Start();
        await reader.Button(reader.Seed.FailureRetry).ClickAsync();
        await reader.ExpectFormAsync(email);
        await reader.SubmitButton.ClickAsync();
        await reader.ExpectSuccessAsync();
        await Reader.ConfirmationLinkAsync(app.Smtp, email);
    }

    [Fact]
    public async Task The_first_sign_up_after_an_outage_succeeds_though_the_pooled_connections_died_with_it()
    {
        using var client = app.Server.CreateClient();
        // Several sign-ups at once leave several idle connections in the pool, all of which the outage kills.
        var warm = await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
        {
            using var response = await Signup.SignupHttp.PostApiAsync(client, new { email = TestData.NewEmail("pool-warm"), newsletters = new[] { TestData.Default } });
            return response.StatusCode;
        }));
        Assert.All(warm, s => Assert.Equal(System.Net.HttpStatusCode.OK, s));

        app.Proxy.Stop();
        // The newsletters are cached for a while; once that runs out, reading them is a sign-up's first database call.
        app.Server.Services.GetRequiredService<Broadsheet.Newsletters.NewsletterDirectory>().Forget();
        app.Proxy.Start();
        var email = TestData.NewEmail("after-outage");
        using var first = await Signup.SignupHttp.PostApiAsync(client, new { email, newsletters = new[] { TestData.Default } });
        Assert.Equal(System.Net.HttpStatusCode.OK, first.StatusCode);
        Assert.Contains("\"success\"", await first.Content.ReadAsStringAsync());
        await Reader.ConfirmationLinkAsync(app.Smtp, email);
    }
}
