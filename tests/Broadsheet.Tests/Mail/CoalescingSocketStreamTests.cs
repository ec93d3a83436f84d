using System.Net;
using System.Net.Sockets;
using Broadsheet.Mail;
using Xunit;

namespace Broadsheet.Tests.Mail;

/// <summary>
/// The send engine's connection stream: small writes (TLS records, commands) must leave as one send at the flush (so a message is
/// one segment for the relay to read), nothing may wait in the buffer after a flush, and reads and timeouts are the socket's.
/// </summary>
public sealed class CoalescingSocketStreamTests : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Socket _client;
    private readonly Socket _server;

    public CoalescingSocketStreamTests()
    {
        _listener.Start();
        _client = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        _client.Connect((IPEndPoint)_listener.LocalEndpoint);
        _server = _listener.AcceptSocket();
    }

    [Fact]
    public void Writes_wait_for_the_flush_and_then_leave_together()
    {
        using var stream = new CoalescingSocketStream(_client, 64 * 1024);
        var block = Enumerable.Range(0, 4096).Select(i => (byte)i).ToArray();
        for (var i = 0; i < 5; i++) stream.Write(block);

        Assert.False(_server.Poll(TimeSpan.FromMilliseconds(200), SelectMode.SelectRead), "bytes left before the flush");
        stream.Flush();
        var received = ReceiveExactly(5 * 4096);
        Assert.Equal(Enumerable.Repeat(block, 5).SelectMany(b => b), received);
        stream.Flush(); // nothing pending: sends nothing more
        Assert.False(_server.Poll(TimeSpan.FromMilliseconds(100), SelectMode.SelectRead), "a second flush sent bytes again");
    }

    [Fact]
    public void A_write_larger_than_the_buffer_goes_out_at_once_after_what_was_waiting()
    {
        using var stream = new CoalescingSocketStream(_client, 1024);
        stream.Write("HELLO"u8);
        var big = Enumerable.Range(0, 5000).Select(i => (byte)(i % 251)).ToArray();
        stream.Write(big);
        var received = ReceiveExactly(5 + big.Length);
        Assert.Equal("HELLO"u8.ToArray().Concat(big), received);
    }

    [Fact]
    public void Reads_come_from_the_socket_and_time_out_with_an_io_error()
    {
        using var stream = new CoalescingSocketStream(_client, 1024);
        _server.Send("250 OK\r\n"u8);
        var buffer = new byte[64];
        var n = stream.Read(buffer, 0, buffer.Length);
        Assert.Equal("250 OK\r\n", System.Text.Encoding.ASCII.GetString(buffer, 0, n));

        Assert.True(stream.CanTimeout);
        stream.ReadTimeout = 200;
        Assert.Equal(200, _client.ReceiveTimeout);
        Assert.Throws<IOException>(() => stream.Read(buffer, 0, buffer.Length));
    }

    private byte[] ReceiveExactly(int count)
    {
        _server.ReceiveTimeout = 5000;
        var result = new byte[count];
        var got = 0;
        while (got < count)
        {
            var n = _server.Receive(result, got, count - got, SocketFlags.None);
            Assert.True(n > 0, "the connection closed early");
            got += n;
        }
        return result;
    }

    public void Dispose()
    {
        _client.Dispose();
        _server.Dispose();
        _listener.Stop();
    }
}
