using System.Net;
using System.Net.Sockets;
using MailKit.Net.Smtp;
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

    Task<IMailSession> OpenAsync(CancellationToken ct);

    /// <summary>The same, blocking, for the send engine's connections, which each have a thread of their own.</summary>
    IMailSession Open(CancellationToken ct);
}

/// <summary>One connection's worth of sending.</summary>
public interface IMailSession : IAsyncDisposable
{
    Task SendAsync(MimeMessage message, CancellationToken ct);

    /// <summary>Sends with an explicit envelope (e.g. a VERP sender) instead of the one derived from the headers.</summary>
    Task SendAsync(MimeMessage message, MailboxAddress sender, MailboxAddress recipient, CancellationToken ct);

    /// <summary>The same, blocking: for the send engine's connections, which each have a thread of their own.</summary>
    void Send(MimeMessage message, MailboxAddress sender, MailboxAddress recipient, CancellationToken ct);

    /// <summary>Says goodbye to the relay and closes the connection, blocking; never throws.</summary>
    void Close();
}

/// <summary>Writes each message as an .eml file under DATA/outbox, for running without a relay.</summary>
public sealed class OutboxTransport(string dataPath) : IMailTransport, IMailSession
{
    public string Folder { get; } = Path.Combine(dataPath, "outbox");

    public string Name => "outbox";
    public TimeSpan Timeout => TimeSpan.Zero;

    public Task<IMailSession> OpenAsync(CancellationToken ct) => Task.FromResult<IMailSession>(this);

    public IMailSession Open(CancellationToken ct) => this;

    public Task SendAsync(MimeMessage message, CancellationToken ct)
    {
        Write(message, ct);
        return Task.CompletedTask;
    }

    public void Send(MimeMessage message, MailboxAddress sender, MailboxAddress recipient, CancellationToken ct) => Write(message, ct);

    private void Write(MimeMessage message, CancellationToken ct)
    {
        // The message is made in memory first and written with one system call: a buffered FileStream allocated
        // 16 KB per message and locked each new file (FileShare.None), which cost more than the write itself.
        var buffer = t_buffer ??= new MemoryStream(16 * 1024);
        buffer.SetLength(0);
        message.WriteTo(buffer, ct);
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
            RandomAccess.Write(file, buffer.GetBuffer().AsSpan(0, (int)buffer.Length), 0);
        // Whole files only: the outbox page never sees half a message. The name is new (time and a GUID), so the move
        // may overwrite, which spares the look-up a no-overwrite move makes first in a folder of many files.
        File.Move(temp, Path.Combine(Folder, name), overwrite: true);
        if (buffer.Capacity > 1024 * 1024) t_buffer = null; // a rare large message does not stay in memory
    }

    [ThreadStatic] private static MemoryStream? t_buffer;

    private static SafeFileHandle Create(string path) => File.OpenHandle(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read);

    // A mailbox file has no envelope; the outbox stands for a delivered mailbox, so the message is all there is.
    public Task SendAsync(MimeMessage message, MailboxAddress sender, MailboxAddress recipient, CancellationToken ct) => SendAsync(message, ct);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    public void Close() { }
}

/// <summary>Sends through one SMTP relay with MailKit.</summary>
public sealed class SmtpTransport(SmtpOptions smtp) : IMailTransport
{
    public string Name => $"{smtp.Host}:{smtp.Port}";
    public TimeSpan Timeout => smtp.Timeout;

    public async Task<IMailSession> OpenAsync(CancellationToken ct)
    {
        var client = NewClient();
        try
        {
            var socket = await ConnectAsync(ct);
            await client.ConnectAsync(socket, smtp.Host, smtp.Port, smtp.SecureSocket, ct);
            if (!string.IsNullOrEmpty(smtp.Username))
                await client.AuthenticateAsync(smtp.Username, smtp.Password, ct);
            return new Session(client);
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    /// <summary>The send engine's connection: blocking, pipelined (see <see cref="PipelinedSmtpSession"/>).</summary>
    public IMailSession Open(CancellationToken ct) => PipelinedSmtpSession.Open(smtp, ConnectBlocking(ct), ct);

    private SmtpClient NewClient() => new() { Timeout = (int)smtp.Timeout.TotalMilliseconds };

    /// <summary>
    /// A TCP connection with Nagle's algorithm off. MailKit writes a command or a message's last bytes in small
    /// pieces; with Nagle on, each would wait for the relay's delayed ACK (40 ms on Linux), capping a connection at
    /// a few dozen messages a second.
    /// </summary>
    private async Task<Socket> ConnectAsync(CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(smtp.Timeout);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(smtp.Host, smtp.Port, timeout.Token);
            return socket;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            socket.Dispose();
            throw new TimeoutException($"No connection within {smtp.Timeout}.");
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

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

    /// <summary>One MailKit connection to the relay.</summary>
    internal sealed class Session(SmtpClient client) : IMailSession
    {
        public async Task SendAsync(MimeMessage message, CancellationToken ct) => await client.SendAsync(message, ct);

        public async Task SendAsync(MimeMessage message, MailboxAddress sender, MailboxAddress recipient, CancellationToken ct) =>
            await client.SendAsync(message, sender, [recipient], ct);

        public void Send(MimeMessage message, MailboxAddress sender, MailboxAddress recipient, CancellationToken ct) =>
            client.Send(message, sender, [recipient], ct);

        public void Close()
        {
            try
            {
                if (client.IsConnected) client.Disconnect(true);
            }
            catch (Exception)
            {
                // The relay may already have gone; the messages were sent or recorded as failed before this.
            }
            client.Dispose();
        }

        public async ValueTask DisposeAsync()
        {
            try
            {
                if (client.IsConnected) await client.DisconnectAsync(true);
            }
            catch (Exception)
            {
                // The relay may already have gone; the messages were sent or recorded as failed before this.
            }
            client.Dispose();
        }
    }
}
