using System.Buffers;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace Broadsheet.Mail;

/// <summary>
/// The send engine's SMTP connection: one blocking socket, messages given as finished bytes, and with a relay that
/// offers PIPELINING (RFC 2920) one round trip per message, because the end of each message travels with the next
/// message's MAIL, RCPT and DATA. Greeting, EHLO, STARTTLS or TLS, and AUTH (with MailKit's SASL mechanisms) come
/// first; failures are MailKit's exception types, so they are read as for every other mail.
/// </summary>
/// <remarks>
/// MailKit's <c>Send</c> waits for the reply to each message's end before it starts the next message, two round
/// trips per message, and runs every message through its MIME writer and dot-stuffing filter: measured here it cost
/// the app about 150 µs of CPU per 20 KB message (and the relay more wake-ups), against about 40 for this.
/// Transactional mail goes the same way (<see cref="MailWorker"/>).
/// </remarks>
public sealed class PipelinedSmtpSession : IMailSession
{
    private static readonly SearchValues<char> NotInAddresses = SearchValues.Create("<>\r\n \t");
    private static readonly string[] Mechanisms = ["SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN", "LOGIN"];

    private readonly Socket _socket;
    private readonly CoalescingSocketStream _raw;
    private Stream _stream;
    private SmtpReplies _replies;
    private readonly ArrayBufferWriter<byte> _out = new(64 * 1024);
    private HashSet<string> _extensions = [];
    private string[] _authMechanisms = [];
    private (string From, string To)? _announced;
    private bool _resetFirst;
    private bool _broken;

    private PipelinedSmtpSession(Socket socket)
    {
        _socket = socket;
        _raw = new CoalescingSocketStream(socket, 64 * 1024);
        _stream = _raw;
        _replies = new SmtpReplies(_stream);
    }

    /// <summary>The connection's socket, for the test that it stays in blocking mode.</summary>
    internal Socket Socket => _socket;

    /// <summary>Whether the relay takes commands in groups; without it each command waits for its reply.</summary>
    public bool Pipelining => _extensions.Contains("PIPELINING");

    /// <summary>
    /// Whether a message's envelope went out ahead (see <see cref="Send(ReadOnlySpan{byte}, string, string, ValueTuple{string, string}?, CancellationToken)"/>)
    /// and its message was not sent since: the relay is waiting for that message, so the connection can only be closed.
    /// </summary>
    public bool HasAnnounced => _announced is not null;

    /// <summary>Connects (blocking), greets, secures and authenticates as <paramref name="smtp"/> says; cancelling closes the socket.</summary>
    public static PipelinedSmtpSession Open(SmtpOptions smtp, Socket socket, CancellationToken ct)
    {
        var session = new PipelinedSmtpSession(socket);
        try
        {
            socket.ReceiveTimeout = (int)smtp.Timeout.TotalMilliseconds;
            using (ct.Register(static s => ((Socket)s!).Dispose(), socket))
                session.Handshake(smtp);
            ct.ThrowIfCancellationRequested();
            return session;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private void Handshake(SmtpOptions smtp)
    {
        var security = smtp.SecureSocket;
        if (security == SecureSocketOptions.SslOnConnect) StartTls(smtp);
        Expect(_replies.Read(), 220, SmtpErrorCode.UnexpectedStatusCode);
        Ehlo();
        if (security == SecureSocketOptions.StartTls)
        {
            if (!_extensions.Contains("STARTTLS")) throw new NotSupportedException("The SMTP server does not support the STARTTLS extension.");
            Command("STARTTLS");
            Expect(_replies.Read(), 220, SmtpErrorCode.UnexpectedStatusCode);
            StartTls(smtp);
            Ehlo();
        }
        if (!string.IsNullOrEmpty(smtp.Username)) Authenticate(new NetworkCredential(smtp.Username, smtp.Password));
    }

    private void StartTls(SmtpOptions smtp)
    {
        var tls = new SslStream(_raw, leaveInnerStreamOpen: true, smtp.CertificateValidation);
        tls.AuthenticateAsClient(smtp.Host);
        _stream = tls;
        _replies = new SmtpReplies(tls);
    }

    private void Ehlo()
    {
        var local = _socket.LocalEndPoint is IPEndPoint ip
            ? ip.AddressFamily == AddressFamily.InterNetworkV6 ? $"[IPv6:{ip.Address}]" : $"[{ip.Address}]"
            : "localhost";
        Command("EHLO " + local);
        var reply = Expect(_replies.Read(), 250, SmtpErrorCode.UnexpectedStatusCode);
        var lines = reply.Text.Split('\n').Skip(1).Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
        _extensions = lines.Select(l => l.Split(' ', '=')[0].ToUpperInvariant()).ToHashSet();
        _authMechanisms = lines.Where(l => l.StartsWith("AUTH", StringComparison.OrdinalIgnoreCase) && l.Length > 4 && l[4] is ' ' or '=')
            .SelectMany(l => l[5..].Split(' ', StringSplitOptions.RemoveEmptyEntries)).Select(m => m.ToUpperInvariant()).ToArray();
    }

    private void Authenticate(NetworkCredential credential)
    {
        if (_authMechanisms.Length == 0) throw new NotSupportedException("The SMTP server does not support authentication.");
        var name = Mechanisms.FirstOrDefault(m => _authMechanisms.Contains(m))
                   ?? throw new AuthenticationException($"No authentication mechanism in common with the relay (it offers {string.Join(", ", _authMechanisms)}).");
        var sasl = SaslMechanism.Create(name, credential) ?? throw new AuthenticationException($"MailKit has no {name} mechanism.");
        var initial = sasl.SupportsInitialResponse ? sasl.Challenge(null, CancellationToken.None) : null;
        Command(initial is null ? "AUTH " + name : $"AUTH {name} {initial}");
        var reply = _replies.Read();
        while (reply.Code == 334 && !sasl.IsAuthenticated)
        {
            Command(sasl.Challenge(reply.Text, CancellationToken.None));
            reply = _replies.Read();
        }
        if (reply.Code == 334) // the mechanism is done but the relay asks for more: end the exchange as RFC 4954 says
        {
            Command("*");
            reply = _replies.Read();
        }
        if (reply.Code != 235) throw new AuthenticationException($"The relay refused the credentials: {reply.Code} {reply.Text}");
    }

    /// <summary>
    /// Sends one message: <paramref name="message"/> is the whole message (headers, blank line, body) with CRLF line
    /// ends, not yet dot-stuffed. With <paramref name="next"/> and a pipelining relay, the next message's envelope goes
    /// out with this one's end, and that message must be the next one sent (or the connection closed). Returns when the
    /// relay has accepted the message; throws <see cref="SmtpCommandException"/> when it refused the sender, the
    /// recipient or the message, and other exceptions when the connection failed.
    /// </summary>
    public void Send(ReadOnlySpan<byte> message, string from, string to, (string From, string To)? next, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        using var abort = ct.CanBeCanceled ? ct.Register(static s => ((Socket)s!).Dispose(), _socket) : default;
        Send(message, from, to, next);
    }

    private void Send(ReadOnlySpan<byte> message, string from, string to, (string From, string To)? next)
    {
        if (_broken) throw new IOException("The connection was closed after an earlier failure.");
        if (!Carriable(from) || !Carriable(to)) throw new FormatException("An envelope address has characters SMTP cannot carry.");
        if (next is { } checkNext && (!Carriable(checkNext.From) || !Carriable(checkNext.To))) next = null; // its own send will refuse it
        try
        {
            if (_announced is { } announced && announced != (from, to))
                throw new InvalidOperationException("Another message's envelope was announced; close the connection first.");
            var wasAnnounced = _announced is not null;
            _announced = null; // whatever its replies say, they are read now
            if (wasAnnounced) ReadEnvelope(from, to);
            else if (Pipelining)
            {
                WriteEnvelope(from, to);
                Flush();
                ReadEnvelope(from, to);
            }
            else EnvelopeInLockStep(from, to);

            WriteStuffed(message);
            _out.Write(".\r\n"u8);
            if (next is { } n && Pipelining)
            {
                WriteEnvelope(n.From, n.To);
                _announced = n;
            }
            Flush();
            var end = _replies.Read();
            if (end.Code != 250) throw end.Error(SmtpErrorCode.MessageNotAccepted);
        }
        catch (Exception ex) when (ex is not SmtpCommandException { StatusCode: not SmtpStatusCode.ServiceNotAvailable })
        {
            // Anything but a refusal leaves the conversation in an unknown state: the connection is not used again.
            _broken = true;
            throw;
        }
    }

    /// <summary>MAIL, RCPT and DATA as one group, after an RSET when a refusal left the last transaction open.</summary>
    private void WriteEnvelope(string from, string to)
    {
        if (_resetFirst) Line("RSET");
        Line($"MAIL FROM:<{from}>");
        Line($"RCPT TO:<{to}>");
        Line("DATA");
    }

    /// <summary>
    /// The replies to an envelope group, all of them read before a refusal is thrown (the first one: sender,
    /// recipient, then DATA), so the conversation stays in step.
    /// </summary>
    private void ReadEnvelope(string from, string to)
    {
        if (_resetFirst) ReadReset();
        var mail = _replies.Read();
        var rcpt = _replies.Read();
        var data = _replies.Read();
        if (data.Code == 354 && (mail.Code != 250 || rcpt.Code is not (250 or 251)))
        {
            // A relay that opened DATA for nobody: end it empty, to stay in step.
            Command(".");
            _replies.Read();
        }
        if (mail.Code != 250) throw mail.Error(SmtpErrorCode.SenderNotAccepted, from);
        if (rcpt.Code is not (250 or 251)) Refused(rcpt.Error(SmtpErrorCode.RecipientNotAccepted, to));
        if (data.Code != 354) Refused(data.Error(SmtpErrorCode.UnexpectedStatusCode));
    }

    /// <summary>The same for a relay without PIPELINING: each command waits for its reply.</summary>
    private void EnvelopeInLockStep(string from, string to)
    {
        if (_resetFirst)
        {
            Command("RSET");
            ReadReset();
        }
        Command($"MAIL FROM:<{from}>");
        var mail = _replies.Read();
        if (mail.Code != 250) throw mail.Error(SmtpErrorCode.SenderNotAccepted, from);
        Command($"RCPT TO:<{to}>");
        var rcpt = _replies.Read();
        if (rcpt.Code is not (250 or 251)) Refused(rcpt.Error(SmtpErrorCode.RecipientNotAccepted, to));
        Command("DATA");
        var data = _replies.Read();
        if (data.Code != 354) Refused(data.Error(SmtpErrorCode.UnexpectedStatusCode));
    }

    /// <summary>The reply to RSET: only a relay closing the connection (421) matters; the transaction is gone either way.</summary>
    private void ReadReset()
    {
        var reset = _replies.Read();
        if (reset.Code == 421) throw reset.Error(SmtpErrorCode.UnexpectedStatusCode);
        _resetFirst = false;
    }

    /// <summary>A refusal after MAIL was accepted: the relay holds the transaction open until an RSET, sent with the next envelope.</summary>
    private void Refused(SmtpCommandException refusal)
    {
        _resetFirst = true;
        throw refusal;
    }

    private static bool Carriable(string address) => address.Length > 0 && Ascii.IsValid(address) && !address.AsSpan().ContainsAny(NotInAddresses);

    /// <summary>The message with every line that starts with a dot given a second one (RFC 5321 4.5.2), ending in CRLF.</summary>
    private void WriteStuffed(ReadOnlySpan<byte> message)
    {
        var endsWithLine = message.EndsWith("\r\n"u8);
        if (message.Length > 0 && message[0] == (byte)'.') _out.Write("."u8);
        while (true)
        {
            var at = message.IndexOf("\n."u8);
            if (at < 0) break;
            _out.Write(message[..(at + 1)]);
            _out.Write("."u8);
            message = message[(at + 1)..];
        }
        _out.Write(message);
        if (!endsWithLine) _out.Write("\r\n"u8);
    }

    private static SmtpReply Expect(SmtpReply reply, int code, SmtpErrorCode kind) => reply.Code == code ? reply : throw reply.Error(kind);

    private void Command(string command)
    {
        Line(command);
        Flush();
    }

    private void Line(string command)
    {
        var span = _out.GetSpan(command.Length + 2);
        var count = Encoding.ASCII.GetBytes(command, span);
        span[count++] = (byte)'\r';
        span[count++] = (byte)'\n';
        _out.Advance(count);
    }

    private void Flush()
    {
        if (_out.WrittenCount == 0) return;
        _stream.Write(_out.WrittenSpan);
        _out.ResetWrittenCount();
        _stream.Flush();
    }

    /// <summary>The same for a whole MimeMessage, written by MimeKit: for callers that have one (tests, other transports' callers).</summary>
    public void Send(MimeMessage message, MailboxAddress sender, MailboxAddress recipient, CancellationToken ct)
    {
        var buffer = new MemoryStream();
        message.WriteTo(WireFormat.Options, buffer, ct);
        Send(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), sender.Address, recipient.Address, null, ct);
    }

    /// <summary>QUIT when the conversation is in step (nothing announced, no failure), then the socket closes; never throws.</summary>
    public void Close()
    {
        try
        {
            if (!_broken && _announced is null && _socket.Connected)
            {
                _socket.ReceiveTimeout = 2000;
                Command("QUIT");
                _replies.Read();
            }
        }
        catch (Exception)
        {
            // The relay may already have gone; every message was sent or recorded as failed before this.
        }
        finally
        {
            _broken = true;
            _stream.Dispose();
            _socket.Dispose();
        }
    }
}
