using System.Buffers;
using System.Text;
using MimeKit;
using MimeKit.Utils;

namespace Broadsheet.Mail;

/// <summary>
/// Writes a queued transactional message straight to the bytes that are sent or stored: its headers (encoded and
/// folded by MimeKit's header formatting), then the multipart/alternative body of <see cref="AlternativeBody"/>.
/// A MimeMessage per message, written and dot-stuffed by MailKit, was about a sixth of the app's CPU under a burst of
/// sign-ups (a profile, 2026-11-27).
/// </summary>
public sealed class TransactionalMessage(MailboxAddress from)
{
    private readonly byte[] _fromHeader = HeaderBytes(HeaderId.From, from.ToString(WireFormat.Options, encode: true));

    /// <summary>The envelope sender: the From address.</summary>
    public string EnvelopeFrom { get; } = from.Address;

    /// <summary>The whole message of <paramref name="email"/>, CRLF line ends, not dot-stuffed, in <paramref name="output"/> (reset first).</summary>
    public ReadOnlyMemory<byte> Write(OutboundEmail email, ArrayBufferWriter<byte> output)
    {
        output.ResetWrittenCount();
        output.Write(_fromHeader);
        Ascii(output, $"Date: {DateUtils.FormatDate(new DateTimeOffset(email.CreatedAt, TimeSpan.Zero))}\r\n");
        output.Write(HeaderBytes(HeaderId.Subject, email.Subject));
        Ascii(output, $"Message-Id: <{email.MessageId}>\r\n");
        output.Write(HeaderBytes(HeaderId.To, email.ToAddress));
        Ascii(output, "Auto-Submitted: auto-generated\r\nMIME-Version: 1.0\r\n");
        AlternativeBody.Write(email.TextBody, email.HtmlBody, output);
        return output.WrittenMemory;
    }

    /// <summary>"Name: value" as MimeKit formats the header for the wire (RFC 2047 words, folding, address syntax).</summary>
    private static byte[] HeaderBytes(HeaderId id, string value)
    {
        var header = new Header(id, "");
        header.SetValue(WireFormat.Options, Encoding.UTF8, value);
        var name = Encoding.ASCII.GetBytes(header.Field + ":");
        return [.. name, .. header.RawValue];
    }

    private static void Ascii(IBufferWriter<byte> output, string text) =>
        output.Advance(Encoding.ASCII.GetBytes(text, output.GetSpan(text.Length)));
}
