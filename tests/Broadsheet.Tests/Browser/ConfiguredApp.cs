using Broadsheet.Tests.Infrastructure;

namespace Broadsheet.Tests.Browser;

/// <summary>An app of its own for the tests of one class that need settings the shared apps do not have.</summary>
public abstract class ConfiguredApp(DatabaseKind kind, Dictionary<string, string?> settings) : IAsyncLifetime
{
    public SmtpSink Smtp { get; } = new();
    public BroadsheetServer Server { get; private set; } = null!;

    /// <summary>Where the app finds its database; a subclass may put a proxy in the way.</summary>
    protected virtual string? ConnectionString => null;

    public async Task InitializeAsync()
    {
        Server = await BroadsheetServer.StartAsync(kind, Smtp, settings, ConnectionString);
        await TestData.EnsureNewslettersAsync(Server);
    }

    public virtual async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        await Smtp.DisposeAsync();
    }
}
