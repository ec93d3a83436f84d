using System.Net;
using System.Net.Sockets;
using Microsoft.Win32.SafeHandles;
using MimeKit;

namespace Broadsheet.Mail;

/// <summary>Delivers messages somewhere. A session may send many messages over one connection.</summary>
public interface IMailTransport
{
    /// <summary>Where mail goes, for logs and for the reason a send was paused (e.g. <c>relay.example:587</c>).</summary>
    string Name { get; }

    /// <summary>Longest a single SMTP command may take before the session gives up.</summary>
    TimeSpan Timeout { get; }

    /// <summary>Opens a session, blocking: its callers (the send engine's connections, the mail worker's batches) each have a thread of their own.</summary>
    IMailSession Open(CancellationToken ct);
}

/// <summary>One connection's worth of sending; every call blocks.</summary>
public interface IMailSession
{
    /// <summary>Sends a MimeMessage with an explicit envelope (e.g. a VERP sender).</summary>
    void Send(MimeMessage message, MailboxAddress sender, MailboxAddress recipient, CancellationToken ct);

    /// <summary>
    /// Sends a finished message (headers, blank line, body, CRLF line ends, not dot-stuffed). With <paramref name="next"/>
    /// a relay that pipelines gets the next message's envelope with this one's end (see <see cref="PipelinedSmtpSession"/>);
    /// that message must then be the next one sent, or the session closed.
    /// </summary>
    void Send(ReadOnlySpan<byte> message, string from, string to, (string From, string To)? next, CancellationToken ct);

    /// <summary>Says goodbye to the relay and closes the connection, blocking; never throws.</summary>
    void Close();
}

/// <summary>Writes each message as an .eml file under DATA/outbox, for running without a relay.</summary>
public sealed class OutboxTransport(string dataPath) : IMailTransport, IMailSession
{
    public string Folder { get; } = Path.Combine(dataPath, "outbox");

    public string Name => "outbox";
    public TimeSpan Timeout => TimeSpan.Zero;

    public IMailSession Open(CancellationToken ct) => this;

    public void Send(MimeMessage message, MailboxAddress sender, MailboxAddress recipient, CancellationToken ct) => Write(message, ct);

    // A mailbox file has no envelope; the outbox stands for a delivered mailbox, so the message is all there is.
    public void Send(ReadOnlySpan<byte> message, string from, string to, (string From, string To)? next, CancellationToken ct) => Write(message);

    private void Write(MimeMessage message, CancellationToken ct)
    {
        // The message is made in memory first and written with one system call: a buffered FileStream allocated
        // 16 KB per message and locked each new file (FileShare.None), which cost more than the write itself.
        var buffer = t_buffer ??= new MemoryStream(16 * 1024);
        buffer.SetLength(0);
        message.WriteTo(buffer, ct);
        Write(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
        if (buffer.Capacity > 1024 * 1024) t_buffer = null; // a rare large message does not stay in memory
    }

    private void Write(ReadOnlySpan<byte> message)
    {
        var name = $"{DateTime.UtcNow:yyyyMMdd-HHmmss-fff}-{Guid.NewGuid():N}.eml";
        var temp = Path.Combine(Folder, name + ".tmp");
        SafeFileHandle file;
        try
        {
            file = Create(temp);
        }
        catch (DirectoryNotFoundException)
        {
            // The first message, or someone cleared the outbox by removing the folder: made here rather than checked per message.
            Directory.CreateDirectory(Folder);
            file = Create(temp);
        }
        using (file)
            RandomAccess.Write(file, message, 0);
        // Whole files only: the outbox page never sees half a message. The name is new (time and a GUID), so the move
        // may overwrite, which spares the look-up a no-overwrite move makes first in a folder of many files.
        File.Move(temp, Path.Combine(Folder, name), overwrite: true);
    }

    [ThreadStatic] private static MemoryStream? t_buffer;

    private static SafeFileHandle Create(string path) => File.OpenHandle(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read);

    public void Close() { }
}

/// <summary>Sends through one SMTP relay (<see cref="PipelinedSmtpSession"/>, with MailKit's authentication and errors).</summary>
public sealed class SmtpTransport(SmtpOptions smtp) : IMailTransport
{
    public string Name => $"{smtp.Host}:{smtp.Port}";
    public TimeSpan Timeout => smtp.Timeout;

    /// <summary>A connection to the relay: blocking, pipelined (see <see cref="PipelinedSmtpSession"/>).</summary>
    public IMailSession Open(CancellationToken ct) => PipelinedSmtpSession.Open(smtp, ConnectBlocking(ct), ct);

    /// <summary>
    /// The same connection for blocking use, made without any asynchronous or non-blocking socket call. On Linux .NET
    /// makes a socket non-blocking for good at its first asynchronous operation (or <c>Blocking = false</c>), and from
    /// then on emulates every blocking send and receive through its event thread: two more thread wake-ups per SMTP
    /// reply, which were most of the send engine's CPU. The send timeout bounds the connect too (Linux applies
    /// <c>SO_SNDTIMEO</c> to <c>connect</c>), and cancelling closes the socket.
    /// </summary>
    private Socket ConnectBlocking(CancellationToken ct)
    {
        Exception? last = null;
        foreach (var address in Dns.GetHostAddresses(smtp.Host))
        {
            ct.ThrowIfCancellationRequested();
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp)
            {
                NoDelay = true,
                SendTimeout = (int)smtp.Timeout.TotalMilliseconds,
            };
            try
            {
                using (ct.Register(static s => ((Socket)s!).Dispose(), socket)) socket.Connect(address, smtp.Port);
                return socket;
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.TimedOut or SocketError.InProgress or SocketError.WouldBlock)
            {
                socket.Dispose();
                last = new TimeoutException($"No connection within {smtp.Timeout}.");
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                socket.Dispose();
                ct.ThrowIfCancellationRequested();
                last = ex;
            }
        }
        throw last ?? new SocketException((int)SocketError.HostNotFound);
    }
}
