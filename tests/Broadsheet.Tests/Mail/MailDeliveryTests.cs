using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Broadsheet.Mail;
using Broadsheet.Tests.Infrastructure;
using Broadsheet.Tests.Signup;
using SmtpServer.Protocol;

namespace Broadsheet.Tests.Mail;

/// <summary>The mail queue over a real SMTP relay: transient replies are retried, permanent ones recorded, nothing waits on the relay.</summary>
public abstract class MailDeliveryTests(AppFixture app)
{
    [Fact]
    public async Task A_451_reply_is_retried_with_backoff_until_delivered()
    {
        var email = TestData.NewEmail("busy");
        var refusals = 0;
        app.Smtp.Reply = to => to == email && Interlocked.Increment(ref refusals) <= 2 ? new SmtpResponse((SmtpReplyCode)451, "try later") : null;
        try
        {
            using var client = app.Server.CreateClient();
            Assert.Equal("success", await SignupHttp.SignUpAsync(client, email));
            await app.Smtp.WaitForAsync(email);
        }
        finally
        {
            app.Smtp.Reply = _ => null;
        }
        var mail = await WaitForStatusAsync(app.Server, email, OutboundEmailStatus.Sent);
        Assert.Equal(3, mail.Attempts);
        Assert.Equal(3, refusals); // two refused, the third delivered
        // The retries were read from the table, which keeps no bodies: rendered again from the template's values.
        Assert.Contains("/confirm", Assert.Single(app.Smtp.To(email)).TextBody);
        Assert.Equal(("", "", null), (mail.TextBody, mail.HtmlBody, mail.TemplateValues)); // and once sent none of it is kept
    }

    [Fact]
    public async Task A_550_reply_is_recorded_as_failed_and_not_retried()
    {
        var email = TestData.NewEmail("gone");
        var refusals = 0;
        app.Smtp.Reply = to =>
        {
            if (to != email) return null;
            Interlocked.Increment(ref refusals);
            return new SmtpResponse(SmtpReplyCode.MailboxUnavailable, "no such user");
        };
        try
        {
            using var client = app.Server.CreateClient();
            Assert.Equal("success", await SignupHttp.SignUpAsync(client, email));
            var mail = await WaitForStatusAsync(app.Server, email, OutboundEmailStatus.Failed);
            Assert.Contains("550", mail.LastError);
            Assert.Contains("no such user", mail.LastError);
            Assert.Contains("/confirm", mail.TemplateValues); // a failed message keeps what it was made of: it was never delivered
            await Task.Delay(TimeSpan.FromSeconds(2)); // several retry intervals of the test settings
            Assert.Equal(1, refusals);
            Assert.Equal(1, (await AddressRecords.LoadAsync(app.Server, email)).Mail.Single().Attempts);
        }
        finally
        {
            app.Smtp.Reply = _ => null;
        }
    }

    internal static async Task<OutboundEmail> WaitForStatusAsync(BroadsheetServer server, string email, OutboundEmailStatus status)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var mail = (await AddressRecords.LoadAsync(server, email)).Mail.Single();
            if (mail.Status == status) return mail;
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"Mail to {email} is {mail.Status}, not {status}: {mail.LastError}");
            await Task.Delay(100);
        }
    }
}

[Collection(SqliteCollection.Name)]
public sealed class MailDeliveryTestsOnSqlite(SqliteApp app) : MailDeliveryTests(app);

[Collection(PostgresCollection.Name)]
public sealed class MailDeliveryTestsOnPostgres(PostgresApp app) : MailDeliveryTests(app);

/// <summary>With the relay down a sign-up still succeeds at once, and its confirmation survives a restart of the app.</summary>
public abstract class RelayDownTests(DatabaseKind kind)
{
    [Fact]
    public async Task Confirmation_queued_while_the_relay_is_down_arrives_after_a_restart()
    {
        var closedPort = SmtpSink.FreePort();
        var email = TestData.NewEmail("queued");
        var first = await StartFirstAsync(closedPort);
        var (connection, data) = (first.Server.ConnectionString, first.Server.DataPath);
        try
        {
            using var client = first.Server.CreateClient();
            var clock = Stopwatch.StartNew();
            Assert.Equal("success", await SignupHttp.SignUpAsync(client, email));
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"The sign-up took {clock.Elapsed}.");

            // The worker has tried and will try again; the message stays queued.
            var deadline = Stopwatch.StartNew();
            OutboundEmail mail;
            do
            {
                await Task.Delay(100);
                mail = (await AddressRecords.LoadAsync(first.Server, email)).Mail.Single();
            } while (mail.Attempts < 2 && deadline.Elapsed < TimeSpan.FromSeconds(15));
            Assert.True(mail.Attempts >= 2, "The worker did not retry.");
            Assert.Equal(OutboundEmailStatus.Queued, mail.Status);
            Assert.NotNull(mail.LastError);
        }
        finally
        {
            await first.DisposeAsync();
        }

        await DeliveredAfterRestartAsync(connection, data, email);
    }

    [Fact]
    public async Task A_relay_that_never_answers_delays_no_sign_up_and_a_restart_hands_its_mail_on()
    {
        using var silent = new TcpListener(IPAddress.Loopback, 0); // accepts connections and never greets
        silent.Start();
        var email = TestData.NewEmail("silent");
        var first = await StartFirstAsync(((IPEndPoint)silent.LocalEndpoint).Port);
        var (connection, data) = (first.Server.ConnectionString, first.Server.DataPath);
        try
        {
            using var client = first.Server.CreateClient();
            var clock = Stopwatch.StartNew();
            Assert.Equal("success", await SignupHttp.SignUpAsync(client, email));
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"The sign-up took {clock.Elapsed}."); // the relay's timeout is 5 s
            await Task.Delay(TimeSpan.FromSeconds(1)); // the worker is now waiting for the relay's greeting
        }
        finally
        {
            await first.DisposeAsync();
        }
        await DeliveredAfterRestartAsync(connection, data, email);
    }

    private Task<ExtraApp> StartFirstAsync(int relayPort) => ExtraApp.StartAsync(kind, new Dictionary<string, string?>
    {
        ["Mail:Transport"] = "smtp", ["Mail:Smtp:Port"] = relayPort.ToString(),
    }, withSmtp: false);

    /// <summary>A new app on the same database and data folder, with a working relay, delivers the queued confirmation.</summary>
    private async Task DeliveredAfterRestartAsync(string connection, string data, string email)
    {
        await using var smtp = new SmtpSink();
        await using var second = await BroadsheetServer.StartAsync(kind, smtp, connectionString: connection, dataPath: data);
        var message = await smtp.WaitForAsync(email, timeout: TimeSpan.FromSeconds(15));
        using var browser = second.CreateClient(cookies: true);
        Assert.Contains("is confirmed", await SignupHttp.ConfirmAsync(browser, SignupHttp.ConfirmLink(message)));
        await MailDeliveryTests.WaitForStatusAsync(second, email, OutboundEmailStatus.Sent); // marked just after the relay took it
    }
}

public sealed class RelayDownTestsOnSqlite() : RelayDownTests(DatabaseKind.Sqlite);

public sealed class RelayDownTestsOnPostgres() : RelayDownTests(DatabaseKind.Postgres);
