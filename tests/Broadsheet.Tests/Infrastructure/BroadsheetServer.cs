using System.Net;
using Broadsheet.Data;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Broadsheet.Tests.Infrastructure;

/// <summary>Which database an app under test runs on.</summary>
public enum DatabaseKind { Sqlite, Postgres }

/// <summary>
/// The real app (<see cref="BroadsheetApp"/>) on Kestrel at a loopback port, with its own data folder and its own
/// database (a SQLite file, or a fresh database on the private PostgreSQL server). Tests speak HTTP to it.
/// </summary>
public sealed class BroadsheetServer : IAsyncDisposable
{
    public const string AdminToken = "test-admin-token-0123456789";

    private BroadsheetServer(WebApplication app, DatabaseKind kind, string dataPath, string connectionString)
    {
        App = app;
        Kind = kind;
        DataPath = dataPath;
        ConnectionString = connectionString;
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        BaseAddress = new Uri(address.Replace("[::]", "127.0.0.1").TrimEnd('/') + "/");
    }

    public WebApplication App { get; }
    public DatabaseKind Kind { get; }
    public string DataPath { get; }
    public string ConnectionString { get; }
    public Uri BaseAddress { get; }
    public IServiceProvider Services => App.Services;

    /// <summary>
    /// Starts an app. <paramref name="settings"/> override the test defaults (which turn rate limits off and make
    /// mail retries fast); <paramref name="connectionString"/> lets a test point it at a proxy or reuse a database.
    /// </summary>
    public static async Task<BroadsheetServer> StartAsync(DatabaseKind kind, SmtpSink? smtp, IDictionary<string, string?>? settings = null, string? connectionString = null, string? dataPath = null)
    {
        dataPath ??= Directory.CreateTempSubdirectory("broadsheet-test-").FullName;
        connectionString ??= kind == DatabaseKind.Sqlite
            ? $"Data Source={Path.Combine(dataPath, "broadsheet.db")}"
            : $"{TestEnvironment.PostgresServer};Database=bs_{Guid.NewGuid():N}";

        var values = new Dictionary<string, string?>
        {
            ["urls"] = "http://127.0.0.1:0",
            ["environment"] = "Test",
            ["DataPath"] = dataPath,
            ["Database:Provider"] = kind == DatabaseKind.Sqlite ? "sqlite" : "postgres",
            ["ConnectionStrings:Default"] = connectionString,
            ["Admin:Token"] = AdminToken,
            ["Mail:Transport"] = smtp is null ? "outbox" : "smtp",
            ["Mail:Smtp:Host"] = "127.0.0.1",
            ["Mail:Smtp:Port"] = smtp?.Port.ToString() ?? "25",
            ["Mail:Smtp:Timeout"] = "00:00:05",
            ["Mail:RetryBaseDelay"] = "00:00:00.500",
            ["Mail:MaxRetryDelay"] = "00:00:02",
            ["Mail:PollInterval"] = "00:00:00.200",
            ["Delivery:RetryBaseDelay"] = "00:00:00.500",
            ["Delivery:MaxRetryDelay"] = "00:00:02",
            ["Delivery:PollInterval"] = "00:00:00.200",
            ["Delivery:RelayRetryAfter"] = "00:00:01",
            ["Delivery:BounceAddress"] = "bounces@bounce.example",
            ["Editions:SchedulePollInterval"] = "00:00:00.250",
            ["Signup:RateLimit:PerIpPerMinute"] = "0",
            ["Signup:RateLimit:PerAddressPerHour"] = "0",
            ["Demo:Seed"] = "false",
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:Microsoft.AspNetCore.DataProtection"] = "Error",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>()) values[key] = value;

        var args = values.Where(v => v.Value is not null).Select(v => $"--{v.Key}={v.Value}").ToArray();
        var app = await BroadsheetApp.CreateAsync(args);
        await app.StartAsync();
        return new BroadsheetServer(app, kind, dataPath, connectionString);
    }

    /// <summary>An HTTP client for this app that does not follow redirects, with its own cookie jar when asked.</summary>
    public HttpClient CreateClient(bool cookies = false, bool admin = false)
    {
        var handler = new HttpClientHandler { AllowAutoRedirect = false, UseCookies = cookies };
        if (cookies) handler.CookieContainer = new CookieContainer();
        var client = new HttpClient(handler) { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        if (admin) client.DefaultRequestHeaders.Authorization = new("Bearer", AdminToken);
        return client;
    }

    /// <summary>Runs <paramref name="query"/> against this app's database in a fresh scope.</summary>
    public async Task<T> QueryAsync<T>(Func<BroadsheetDb, Task<T>> query)
    {
        await using var scope = Services.CreateAsyncScope();
        return await query(scope.ServiceProvider.GetRequiredService<BroadsheetDb>());
    }

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
