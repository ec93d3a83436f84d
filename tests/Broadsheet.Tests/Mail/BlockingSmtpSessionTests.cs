using System.Net.Sockets;
using Broadsheet.Mail;
using Broadsheet.Tests.Infrastructure;
using MimeKit;
using Xunit;

namespace Broadsheet.Tests.Mail;

/// <summary>
/// The send engine's blocking SMTP sessions: their sockets must stay in blocking mode, because .NET emulates blocking
/// calls on a non-blocking socket through its event thread, which more than doubled the CPU per message.
/// </summary>
public sealed class BlockingSmtpSessionTests
{
    [Fact]
    public async Task A_blocking_session_sends_over_a_socket_that_stays_blocking()
    {
        await using var sink = new SmtpSink();
        var transport = new SmtpTransport(new SmtpOptions { Host = "127.0.0.1", Port = sink.Port, Timeout = TimeSpan.FromSeconds(10) });
        using var stopping = new CancellationTokenSource();
        var session = (PipelinedSmtpSession)transport.Open(stopping.Token);
        try
        {
            for (var i = 0; i < 3; i++)
                session.Send(Message(i), new MailboxAddress("", "bounces@news.example"), new MailboxAddress("", $"blocking{i}@example.com"), stopping.Token);
            Assert.False(IsNonBlocking(session.Socket), "the session's socket was switched to non-blocking mode");
        }
        finally
        {
            session.Close();
        }
        for (var i = 0; i < 3; i++) await sink.WaitForAsync($"blocking{i}@example.com");
    }

    [Fact]
    public void Cancelling_closes_the_connection_and_the_send_says_so()
    {
        // A listener that accepts and never answers: the send blocks reading the greeting until cancelled.
        using var silent = new TcpListener(System.Net.IPAddress.Loopback, 0);
        silent.Start();
        var port = ((System.Net.IPEndPoint)silent.LocalEndpoint).Port;
        var transport = new SmtpTransport(new SmtpOptions { Host = "127.0.0.1", Port = port, Timeout = TimeSpan.FromSeconds(30) });
        using var stopping = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
        var started = DateTime.UtcNow;
        Assert.ThrowsAny<Exception>(() => transport.Open(stopping.Token));
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(10), "cancelling did not end the blocked connect");
    }

    [Fact]
    public void A_refused_connection_fails_at_once()
    {
        using var probe = new TcpListener(System.Net.IPAddress.Loopback, 0);
        probe.Start();
        var port = ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop(); // nothing listens there now
        var transport = new SmtpTransport(new SmtpOptions { Host = "127.0.0.1", Port = port, Timeout = TimeSpan.FromSeconds(30) });
        var ex = Assert.Throws<SocketException>(() => transport.Open(CancellationToken.None));
        Assert.Equal(SocketError.ConnectionRefused, ex.SocketErrorCode);
    }

    private static MimeMessage Message(int i)
    {
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress("News", "news@news.example"));
        message.To.Add(new MailboxAddress("", $"blocking{i}@example.com"));
        message.Subject = $"Blocking {i}";
        message.Body = new TextPart("plain") { Text = "Hello." };
        return message;
    }

    /// <summary>O_NONBLOCK (octal 04000) in the descriptor's flags, read from /proc.</summary>
    private static bool IsNonBlocking(Socket socket)
    {
        var line = File.ReadLines($"/proc/self/fdinfo/{socket.Handle}").First(l => l.StartsWith("flags:", StringComparison.Ordinal));
        var flags = Convert.ToInt32(line["flags:".Length..].Trim(), 8);
        return (flags & Convert.ToInt32("4000", 8)) != 0;
    }
}
