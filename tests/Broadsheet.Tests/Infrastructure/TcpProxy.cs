using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Broadsheet.Tests.Infrastructure;

/// <summary>
/// A TCP forwarder on loopback, put between the app and a database (or a relay) so a test can take it away
/// (<see cref="Stop"/>: every connection is cut and new ones are refused) and give it back (<see cref="Start"/>)
/// while the app keeps running.
/// </summary>
public sealed class TcpProxy : IAsyncDisposable
{
    private readonly string _targetHost;
    private readonly int _targetPort;
    private readonly ConcurrentDictionary<Socket, byte> _open = new();
    private readonly object _gate = new();
    private TcpListener? _listener;
    private CancellationTokenSource? _running;

    public TcpProxy(string targetHost, int targetPort)
    {
        _targetHost = targetHost;
        _targetPort = targetPort;
        Port = SmtpSink.FreePort();
        Start();
    }

    /// <summary>The loopback port clients connect to; it stays the same across Stop and Start.</summary>
    public int Port { get; }

    /// <summary>
    /// When this returns true for bytes the client sent (as ASCII), the connection is cut before they reach the
    /// server: a connection dropped mid-conversation, e.g. at a chosen SMTP recipient.
    /// </summary>
    public Func<string, bool>? CutWhen { get; set; }

    /// <summary>How many connections were accepted since the proxy was created (to check the app really came through it).</summary>
    public int Accepted => _accepted;
    private int _accepted;

    public void Start()
    {
        lock (_gate)
        {
            if (_listener is not null) return;
            var listener = new TcpListener(IPAddress.Loopback, Port);
            listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            listener.Start();
            _listener = listener;
            _running = new CancellationTokenSource();
            _ = AcceptLoopAsync(listener, _running.Token);
        }
    }

    /// <summary>Closes the listening socket (new connections are refused) and cuts every open connection.</summary>
    public void Stop()
    {
        lock (_gate)
        {
            if (_listener is null) return;
            _running!.Cancel();
            _listener.Stop();
            _listener = null;
            foreach (var socket in _open.Keys) Close(socket);
        }
    }

    private async Task AcceptLoopAsync(TcpListener listener, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptSocketAsync(ct);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            Interlocked.Increment(ref _accepted);
            _ = ForwardAsync(client, ct);
        }
    }

    private async Task ForwardAsync(Socket client, CancellationToken ct)
    {
        var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _open[client] = 0;
        _open[server] = 0;
        try
        {
            await server.ConnectAsync(_targetHost, _targetPort, ct);
            // Either direction ending ends both: a half-open database connection would only hide the outage.
            await Task.WhenAny(PumpAsync(client, server, CutWhen, ct), PumpAsync(server, client, null, ct));
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
        finally
        {
            Close(client);
            Close(server);
        }
    }

    private static async Task PumpAsync(Socket from, Socket to, Func<string, bool>? cutWhen, CancellationToken ct)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var read = await from.ReceiveAsync(buffer, SocketFlags.None, ct);
                if (read == 0) return;
                if (cutWhen is not null && cutWhen(System.Text.Encoding.ASCII.GetString(buffer, 0, read))) return;
                await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, ct);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    private void Close(Socket socket)
    {
        _open.TryRemove(socket, out _);
        try
        {
            // Linger 0 sends a reset, as a crashed or unplugged server would, rather than a polite goodbye.
            socket.LingerState = new LingerOption(true, 0);
            socket.Close();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    public ValueTask DisposeAsync()
    {
        Stop();
        return ValueTask.CompletedTask;
    }
}
