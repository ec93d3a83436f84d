
namespace Broadsheet.Tests.Infrastructure;

/// <summary>
/// An app of its own with special settings, for the few tests the shared collection apps cannot serve. It gets its
/// own SMTP sink unless <paramref name="withSmtp"/> is false (then mail goes to the outbox transport).
/// </summary>
public sealed class ExtraApp : IAsyncDisposable
{
    private ExtraApp(BroadsheetServer server, SmtpSink? smtp)
    {
        Server = server;
        Smtp = smtp;
    }

    public BroadsheetServer Server { get; }
    public SmtpSink? Smtp { get; }

    public static async Task<ExtraApp> StartAsync(DatabaseKind kind, IDictionary<string, string?> settings, bool withSmtp = true)
    {
        var smtp = withSmtp ? new SmtpSink() : null;
        var server = await BroadsheetServer.StartAsync(kind, smtp, settings);
        await TestData.EnsureNewslettersAsync(server);
        return new ExtraApp(server, smtp);
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        if (Smtp is not null) await Smtp.DisposeAsync();
    }
}
