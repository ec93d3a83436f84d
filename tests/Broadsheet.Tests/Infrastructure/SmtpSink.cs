using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using MimeKit;
using SmtpServer;
using SmtpServer.ComponentModel;
using SmtpServer.Protocol;
using SmtpServer.Storage;

namespace Broadsheet.Tests.Infrastructure;

/// <summary>
/// A real SMTP server on loopback (the SmtpServer package) that keeps what it receives. <see cref="Reply"/> lets a
/// test answer chosen recipients with an SMTP error, e.g. 451 to exercise retries.
/// </summary>
public sealed class SmtpSink : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _running;
    private readonly ConcurrentQueue<MimeMessage> _messages = new();
    private readonly ConcurrentDictionary<MimeMessage, string> _envelopeFrom = new();
    private readonly SemaphoreSlim _arrived = new(0);

    public int Port { get; }

    /// <summary>Returns a reply for a recipient to refuse the message, or null to accept it.</summary>
    public Func<string, SmtpResponse?> Reply { get; set; } = _ => null;

    public SmtpSink()
    {
        Port = FreePort();
        var options = new SmtpServerOptionsBuilder().ServerName("localhost")
            .Endpoint(b => b.Endpoint(new IPEndPoint(IPAddress.Loopback, Port))).Build();
        var services = new ServiceProvider();
        services.Add(new Store(this));
        var server = new SmtpServer.SmtpServer(options, services);
        _running = server.StartAsync(_stop.Token);
    }

    public IReadOnlyCollection<MimeMessage> Messages => _messages.ToArray();

    /// <summary>The envelope sender (MAIL FROM) the message arrived with; empty for the null sender.</summary>
    public string EnvelopeFrom(MimeMessage message) => _envelopeFrom[message];

    public IEnumerable<MimeMessage> To(string address) =>
        _messages.Where(m => m.To.Mailboxes.Any(b => string.Equals(b.Address, address, StringComparison.OrdinalIgnoreCase)));

    /// <summary>Waits until a message to <paramref name="address"/> matching <paramref name="predicate"/> has arrived.</summary>
    public async Task<MimeMessage> WaitForAsync(string address, Func<MimeMessage, bool>? predicate = null, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (true)
        {
            var found = To(address).FirstOrDefault(m => predicate?.Invoke(m) ?? true);
            if (found is not null) return found;
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero) throw new TimeoutException($"No message to {address} arrived in time.");
            await _arrived.WaitAsync(left < TimeSpan.FromMilliseconds(200) ? left : TimeSpan.FromMilliseconds(200));
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try { await _running; } catch (OperationCanceledException) { }
    }

    internal static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private sealed class Store(SmtpSink sink) : MessageStore
    {
        public override async Task<SmtpResponse> SaveAsync(ISessionContext context, IMessageTransaction transaction, ReadOnlySequence<byte> buffer, CancellationToken ct)
        {
            foreach (var rcpt in transaction.To)
                if (sink.Reply($"{rcpt.User}@{rcpt.Host}") is { } refusal) return refusal;

            await using var stream = new MemoryStream();
            foreach (var segment in buffer) await stream.WriteAsync(segment, ct);
            stream.Position = 0;
            var message = await MimeMessage.LoadAsync(stream, ct);
            var from = transaction.From;
            sink._envelopeFrom[message] = from is null || string.IsNullOrEmpty(from.User) ? "" : $"{from.User}@{from.Host}";
            sink._messages.Enqueue(message);
            sink._arrived.Release();
            return SmtpResponse.Ok;
        }
    }
}
