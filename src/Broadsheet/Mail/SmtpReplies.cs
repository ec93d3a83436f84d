using System.Text;
using MailKit.Net.Smtp;

namespace Broadsheet.Mail;

/// <summary>One SMTP reply: its code and its text (the lines of a multi-line reply joined by line breaks).</summary>
public readonly record struct SmtpReply(int Code, string Text)
{
    /// <summary>The reply as the exception MailKit would throw for it, so failures read the same whichever client met them.</summary>
    public SmtpCommandException Error(SmtpErrorCode kind, string? mailbox = null) => mailbox is null
        ? new SmtpCommandException(kind, (SmtpStatusCode)Code, Text)
        : new SmtpCommandException(kind, (SmtpStatusCode)Code, new MimeKit.MailboxAddress("", mailbox), Text);
}

/// <summary>Reads SMTP replies from a stream through a buffer of its own; what a read brings beyond one reply waits for the next.</summary>
public sealed class SmtpReplies(Stream stream)
{
    private const int MaxLine = 4096; // RFC 5321 allows 512; generous for chatty relays, bounded against garbage
    private readonly byte[] _buffer = new byte[16 * 1024];
    private int _start;
    private int _end;

    /// <summary>The next whole reply; throws <see cref="SmtpProtocolException"/> on anything that is not one, <see cref="IOException"/> when the connection ends.</summary>
    public SmtpReply Read()
    {
        var text = new StringBuilder();
        while (true)
        {
            var line = ReadLine();
            if (line.Length < 3 || !int.TryParse(line.AsSpan(0, 3), out var code) || code < 200 || code > 599
                || (line.Length > 3 && line[3] is not (' ' or '-')))
                throw new SmtpProtocolException($"Not an SMTP reply: {Printable(line)}");
            if (text.Length > 0) text.Append('\n');
            text.Append(line.Length > 4 ? line[4..] : "");
            if (line.Length == 3 || line[3] == ' ') return new SmtpReply(code, text.ToString());
        }
    }

    private string ReadLine()
    {
        while (true)
        {
            var found = _buffer.AsSpan(_start, _end - _start).IndexOf((byte)'\n');
            if (found >= 0)
            {
                var line = _buffer.AsSpan(_start, found);
                _start += found + 1;
                if (line.EndsWith("\r"u8)) line = line[..^1];
                return Encoding.UTF8.GetString(line);
            }
            if (_end - _start > MaxLine) throw new SmtpProtocolException("An SMTP reply line was too long.");
            if (_start > 0)
            {
                _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
                _end -= _start;
                _start = 0;
            }
            var read = stream.Read(_buffer.AsSpan(_end));
            if (read == 0) throw new IOException("The relay closed the connection.");
            _end += read;
        }
    }

    private static string Printable(string line)
    {
        var cut = line.Length > 80 ? line[..80] : line;
        return new string(cut.Select(c => char.IsControl(c) ? '?' : c).ToArray());
    }
}
