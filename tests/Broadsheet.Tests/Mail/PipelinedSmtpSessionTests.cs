using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Broadsheet.Mail;
using Broadsheet.Tests.Infrastructure;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;
using Xunit;

namespace Broadsheet.Tests.Mail;

/// <summary>
/// The send engine's own SMTP conversation: one round trip per message with a pipelining relay (the next envelope
/// rides with a message's end), refusals that leave the conversation in step, lock step with a relay that does not
/// pipeline, dot-stuffing, and AUTH through MailKit's SASL mechanisms.
/// </summary>
public sealed class PipelinedSmtpSessionTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Messages_with_announced_envelopes_arrive_whole_and_a_refused_one_does_not_stop_the_next()
    {
        await using var sink = new SmtpSink();
        sink.Reply = to => to == "refused@example.com" ? new SmtpServer.Protocol.SmtpResponse((SmtpServer.Protocol.SmtpReplyCode)550, "no such user") : null;
        var session = Open(sink.Port);
        try
        {
            string[] to = ["first@example.com", "refused@example.com", "dots@example.com"];
            for (var i = 0; i < to.Length; i++)
            {
                var next = i + 1 < to.Length ? ("bounces@news.example", to[i + 1]) : ((string, string)?)null;
                var message = Bytes(to[i], i == 2 ? ".a line with a dot\r\n..and two\r\n.\r\nend" : "Hello.");
                if (to[i] == "refused@example.com")
                {
                    var refusal = Assert.Throws<SmtpCommandException>(() => session.Send(message, "bounces@news.example", to[i], next, CancellationToken.None));
                    Assert.Equal(550, (int)refusal.StatusCode);
                }
                else session.Send(message, "bounces@news.example", to[i], next, CancellationToken.None);
                Assert.Equal(next is not null, session.HasAnnounced);
            }
            Assert.True(session.Pipelining);
        }
        finally
        {
            session.Close();
        }
        await sink.WaitForAsync("first@example.com");
        var dots = await sink.WaitForAsync("dots@example.com");
        Assert.Equal(".a line with a dot\n..and two\n.\nend", ((TextPart)dots.Body).Text.ReplaceLineEndings("\n").TrimEnd('\n'));
        Assert.Empty(sink.To("refused@example.com"));
        Assert.Equal("bounces@news.example", sink.EnvelopeFrom(dots));
    }

    [Fact]
    public void A_refused_recipient_is_thrown_after_all_its_replies_and_the_next_envelope_starts_with_RSET()
    {
        using var relay = new ScriptedRelay(pipelining: true, refuse: "nobody@example.com");
        var session = Open(relay.Port);
        session.Send(Bytes("a@example.com", "A"), "s@news.example", "a@example.com", ("s@news.example", "nobody@example.com"), CancellationToken.None);
        var refusal = Assert.Throws<SmtpCommandException>(() =>
            session.Send(Bytes("nobody@example.com", "B"), "s@news.example", "nobody@example.com", null, CancellationToken.None));
        Assert.Equal(SmtpErrorCode.RecipientNotAccepted, refusal.ErrorCode);
        Assert.Equal(550, (int)refusal.StatusCode);
        Assert.False(session.HasAnnounced);
        session.Send(Bytes("c@example.com", "C"), "s@news.example", "c@example.com", null, CancellationToken.None);
        session.Close();

        relay.Done.Wait(Timeout);
        var commands = relay.Commands.ToList();
        var second = commands.IndexOf("RCPT TO:<nobody@example.com>");
        var third = commands.IndexOf("MAIL FROM:<s@news.example>", second);
        Assert.Equal("RSET", commands[third - 1]);
        Assert.Equal(["A", "C"], relay.Messages.Select(m => m.Split("\r\n\r\n")[1].Trim()));
        // The first message's end and the second envelope came in one write, read by the relay as one group.
        Assert.Contains(relay.Groups, g => g.SequenceEqual([".", "MAIL FROM:<s@news.example>", "RCPT TO:<nobody@example.com>", "DATA"]));
    }

    [Fact]
    public void Without_PIPELINING_every_command_waits_for_its_reply_and_nothing_is_announced()
    {
        using var relay = new ScriptedRelay(pipelining: false, refuse: "nobody@example.com");
        var session = Open(relay.Port);
        Assert.False(session.Pipelining);
        session.Send(Bytes("a@example.com", "A"), "s@news.example", "a@example.com", ("s@news.example", "b@example.com"), CancellationToken.None);
        Assert.False(session.HasAnnounced);
        Assert.Throws<SmtpCommandException>(() => session.Send(Bytes("nobody@example.com", "N"), "s@news.example", "nobody@example.com", null, CancellationToken.None));
        session.Send(Bytes("b@example.com", "B"), "s@news.example", "b@example.com", null, CancellationToken.None);
        session.Close();

        relay.Done.Wait(Timeout);
        Assert.Equal(0, relay.CommandsAheadOfReply);
        Assert.Contains("RSET", relay.Commands);
        Assert.Equal(["A", "B"], relay.Messages.Select(m => m.Split("\r\n\r\n")[1].Trim()));
    }

    [Fact]
    public void AUTH_uses_MailKit_s_PLAIN_mechanism_and_a_refusal_is_an_authentication_error()
    {
        using (var relay = new ScriptedRelay(pipelining: true, password: "s3cret"))
        {
            var session = Open(relay.Port, "editor", "s3cret");
            session.Send(Bytes("a@example.com", "A"), "s@news.example", "a@example.com", null, CancellationToken.None);
            session.Close();
            relay.Done.Wait(Timeout);
            Assert.Equal(["A"], relay.Messages.Select(m => m.Split("\r\n\r\n")[1].Trim()));
        }
        using (var relay = new ScriptedRelay(pipelining: true, password: "s3cret"))
            Assert.Throws<AuthenticationException>(() => Open(relay.Port, "editor", "wrong"));
    }

    [Theory]
    [InlineData("starttls")]
    [InlineData("tls")]
    public void STARTTLS_and_TLS_encrypt_before_authenticating_and_an_untrusted_certificate_is_refused(string security)
    {
        using (var relay = new ScriptedRelay(pipelining: true, password: "s3cret", security: security))
        {
            var session = Open(relay.Port, "editor", "s3cret", security, trusted: ScriptedRelay.Certificate.Value);
            session.Send(Bytes("a@example.com", "A"), "s@news.example", "a@example.com", ("s@news.example", "b@example.com"), CancellationToken.None);
            session.Send(Bytes("b@example.com", "B"), "s@news.example", "b@example.com", null, CancellationToken.None);
            session.Close();
            relay.Done.Wait(Timeout);
            Assert.True(relay.Encrypted);
            Assert.Equal(["A", "B"], relay.Messages.Select(m => m.Split("\r\n\r\n")[1].Trim()));
            var auth = relay.Commands.FindIndex(c => c.StartsWith("AUTH", StringComparison.Ordinal));
            Assert.True(auth > relay.Commands.IndexOf(security == "starttls" ? "STARTTLS" : relay.Commands[0]));
        }
        using (var relay = new ScriptedRelay(pipelining: true, security: security))
            Assert.ThrowsAny<System.Security.Authentication.AuthenticationException>(() => Open(relay.Port, security: security)); // the system does not trust it
    }

    private static PipelinedSmtpSession Open(int port, string user = "", string password = "", string security = "none", X509Certificate2? trusted = null) =>
        (PipelinedSmtpSession)new SmtpTransport(new SmtpOptions
        {
            Host = "127.0.0.1", Port = port, Timeout = Timeout, Username = user, Password = password, Security = security,
            CertificateValidation = trusted is null ? null : (_, certificate, _, _) => certificate?.GetCertHashString() == trusted.GetCertHashString(),
        }).Open(CancellationToken.None);

    private static byte[] Bytes(string to, string text) =>
        Encoding.ASCII.GetBytes($"From: news@news.example\r\nTo: {to}\r\nSubject: Test\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\n{text}\r\n");

    /// <summary>
    /// A relay on loopback that follows a script: offers PIPELINING or not, refuses one recipient with 550, checks
    /// AUTH PLAIN, and records the commands (and which arrived together), the messages, and any command that arrived
    /// before the reply to the one before it while not pipelining.
    /// </summary>
    private sealed class ScriptedRelay : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly bool _pipelining;
        private readonly string? _refuse;
        private readonly string? _password;
        private readonly string _security;

        public ScriptedRelay(bool pipelining, string? refuse = null, string? password = null, string security = "none")
        {
            _pipelining = pipelining;
            _refuse = refuse;
            _password = password;
            _security = security;
            _listener.Start();
            Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
            new Thread(Serve) { IsBackground = true }.Start();
        }

        public int Port { get; }
        public List<string> Commands { get; } = [];
        public List<List<string>> Groups { get; } = [];
        public List<string> Messages { get; } = [];
        public int CommandsAheadOfReply { get; private set; }
        public ManualResetEventSlim Done { get; } = new();
        public bool Encrypted { get; private set; }

        /// <summary>A self-signed certificate for "127.0.0.1", made once for the tests that speak TLS.</summary>
        public static readonly Lazy<X509Certificate2> Certificate = new(() =>
        {
            using var key = RSA.Create(2048);
            var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            var names = new SubjectAlternativeNameBuilder();
            names.AddIpAddress(IPAddress.Loopback);
            request.CertificateExtensions.Add(names.Build());
            using var made = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
            return X509CertificateLoader.LoadPkcs12(made.Export(X509ContentType.Pfx), null);
        });

        private void Serve()
        {
            try
            {
                using var socket = _listener.AcceptSocket();
                Stream stream = new NetworkStream(socket, ownsSocket: false);
                void Secure()
                {
                    var tls = new SslStream(stream);
                    tls.AuthenticateAsServer(Certificate.Value);
                    stream = tls;
                    Encrypted = true;
                }
                if (_security == "tls") Secure();
                var reader = new LineReader(() => stream, socket);
                void Reply(string line) => stream.Write(Encoding.ASCII.GetBytes(line + "\r\n"));
                Reply("220 scripted ready");
                var group = new List<string>();
                var rcptOk = false;
                void Note(string command)
                {
                    Commands.Add(command);
                    group.Add(command);
                    if (!_pipelining && reader.Pending && command != "DATA") CommandsAheadOfReply++;
                    if (!reader.Pending) { Groups.Add(group); group = []; }
                }
                while (reader.ReadLine() is { } line)
                {
                    Note(line);
                    if (line.StartsWith("EHLO", StringComparison.Ordinal))
                        Reply((_pipelining ? "250-scripted\r\n250-PIPELINING\r\n" : "250-scripted\r\n") + (_security == "starttls" && !Encrypted ? "250-STARTTLS\r\n" : "") + "250 AUTH PLAIN LOGIN");
                    else if (line == "STARTTLS")
                    {
                        Reply("220 go ahead");
                        Secure();
                    }
                    else if (line.StartsWith("AUTH PLAIN ", StringComparison.Ordinal))
                    {
                        var parts = Encoding.UTF8.GetString(Convert.FromBase64String(line[11..])).Split('\0');
                        Reply(parts[1] == "editor" && parts[2] == _password ? "235 ok" : "535 bad credentials");
                    }
                    else if (line.StartsWith("MAIL", StringComparison.Ordinal)) { rcptOk = false; Reply("250 ok"); }
                    else if (line.StartsWith("RCPT", StringComparison.Ordinal))
                    {
                        rcptOk = _refuse is null || !line.Contains(_refuse, StringComparison.Ordinal);
                        Reply(rcptOk ? "250 ok" : "550 no such user");
                    }
                    else if (line == "DATA")
                    {
                        if (!rcptOk) { Reply("554 no valid recipients"); continue; }
                        Reply("354 go ahead");
                        var message = new StringBuilder();
                        while (reader.ReadLine() is { } data && data != ".") message.Append(data.StartsWith('.') ? data[1..] : data).Append("\r\n");
                        Messages.Add(message.ToString());
                        group = [];
                        Note(".");
                        Reply("250 queued");
                    }
                    else if (line == "RSET") Reply("250 reset");
                    else if (line == "QUIT") { Reply("221 bye"); break; }
                    else Reply("500 what");
                }
            }
            catch (Exception) when (!Done.IsSet)
            {
                // The client went away; the test reads what was recorded.
            }
            finally
            {
                Done.Set();
            }
        }

        /// <summary>Lines from the connection through a buffer of its own, so it can tell whether more has already arrived.</summary>
        private sealed class LineReader(Func<Stream> stream, Socket socket)
        {
            private readonly byte[] _buffer = new byte[256 * 1024];
            private int _start, _end;

            public bool Pending => _end > _start || socket.Available > 0;

            public string? ReadLine()
            {
                while (true)
                {
                    var at = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
                    if (at >= 0)
                    {
                        var line = Encoding.ASCII.GetString(_buffer, _start, at - _start).TrimEnd('\r');
                        _start = at + 1;
                        return line;
                    }
                    Array.Copy(_buffer, _start, _buffer, 0, _end - _start);
                    _end -= _start;
                    _start = 0;
                    var read = stream().Read(_buffer, _end, _buffer.Length - _end);
                    if (read == 0) return null;
                    _end += read;
                }
            }
        }

        public void Dispose()
        {
            _listener.Stop();
            Done.Wait(Timeout);
        }
    }
}
