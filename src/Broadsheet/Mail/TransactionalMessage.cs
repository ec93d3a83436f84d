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

    /// <summary>
    /// The whole message of <paramref name="email"/> with <paramref name="bodies"/> (<see cref="MailQueue.Bodies"/>),
    /// CRLF line ends, not dot-stuffed, in <paramref name="output"/> (reset first).
    /// </summary>
    public ReadOnlyMemory<byte> Write(OutboundEmail email, RenderedEmail bodies, ArrayBufferWriter<byte> output)
    {
        output.ResetWrittenCount();
        output.Write(_fromHeader);
        Ascii(output, $"Date: {DateUtils.FormatDate(new DateTimeOffset(email.CreatedAt, TimeSpan.Zero))}\r\n");
        output.Write(SubjectBytes(email.Subject));
        Ascii(output, $"Message-Id: <{email.MessageId}>\r\n");
        if (PlainAddress(email.ToAddress)) Ascii(output, $"To: {email.ToAddress}\r\n");
        else output.Write(HeaderBytes(HeaderId.To, email.ToAddress));
        Ascii(output, "Auto-Submitted: auto-generated\r\nMIME-Version: 1.0\r\n");
        AlternativeBody.Write(bodies.Text, bodies.Html, output);
        return output.WrittenMemory;
    }

    // A site's subjects are few ("Confirm your subscription to …" per newsletter), and formatting one is most of a
    // message's header work, so each is formatted once; the cache starts over if a template makes many.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte[]> _subjects = new();

    private byte[] SubjectBytes(string subject)
    {
        if (_subjects.TryGetValue(subject, out var bytes)) return bytes;
        if (_subjects.Count >= 1000) _subjects.Clear();
        return _subjects[subject] = HeaderBytes(HeaderId.Subject, subject);
    }

    private static readonly SearchValues<char> AddressChars =
        SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.!#$%&'*+-/=?^_`{|}~@");

    /// <summary>
    /// An address MimeKit would write as it is: one '@', only atom characters and dots (what the sign-up rule lets
    /// through; a punycode domain included), short enough for one line. Anything else is formatted by MimeKit.
    /// </summary>
    private static bool PlainAddress(string address) =>
        address.Length <= 72 && !address.AsSpan().ContainsAnyExcept(AddressChars) && address.IndexOf('@') is > 0 and var at &&
        at == address.LastIndexOf('@') && at < address.Length - 1 && !address.StartsWith('.') && !address.Contains("..") && address[at - 1] != '.';

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
