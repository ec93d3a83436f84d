using System.Net.Sockets;

namespace Broadsheet.Mail;

/// <summary>
/// A blocking socket as a stream whose writes wait in one buffer until a flush: the send engine's SMTP connection
/// (<see cref="PipelinedSmtpSession"/>) flushes once per command group, so a message and the next envelope go out in
/// one <c>send</c> (under TLS, the stream's several records too) and the relay reads them in one wake-up. Reads go
/// straight to the socket.
/// </summary>
/// <remarks>
/// Not <see cref="BufferedStream"/>: it buffers reads as well, and when a write follows a read that left bytes in its
/// buffer it seeks back, which a socket cannot do.
/// </remarks>
public sealed class CoalescingSocketStream(Socket socket, int bufferBytes) : Stream
{
    private readonly byte[] pending = new byte[bufferBytes];
    private int length;

    public override bool CanRead => true;
    public override bool CanWrite => true;
    public override bool CanSeek => false;
    public override bool CanTimeout => true;

    public override int ReadTimeout
    {
        get => socket.ReceiveTimeout;
        set => socket.ReceiveTimeout = value;
    }

    public override int WriteTimeout
    {
        get => socket.SendTimeout;
        set => socket.SendTimeout = value;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        try
        {
            return socket.Receive(buffer);
        }
        catch (SocketException ex)
        {
            throw new IOException(ex.Message, ex);
        }
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (length + buffer.Length > pending.Length)
        {
            Flush();
            if (buffer.Length > pending.Length)
            {
                SendAll(buffer);
                return;
            }
        }
        buffer.CopyTo(pending.AsSpan(length));
        length += buffer.Length;
    }

    public override void Flush()
    {
        if (length == 0) return;
        var count = length;
        length = 0; // after a failed send the connection is finished anyway; never send these bytes twice
        SendAll(pending.AsSpan(0, count));
    }

    private void SendAll(ReadOnlySpan<byte> bytes)
    {
        try
        {
            while (!bytes.IsEmpty) bytes = bytes[socket.Send(bytes)..];
        }
        catch (SocketException ex)
        {
            throw new IOException(ex.Message, ex);
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) socket.Dispose();
        base.Dispose(disposing);
    }

    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
