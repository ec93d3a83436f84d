using System.Buffers;
using System.Text;
using Broadsheet.Delivery;
using MimeKit;

namespace Broadsheet.Mail;

/// <summary>
/// A transactional message's body, multipart/alternative (plain text, then HTML, both quoted-printable), encoded
/// straight to its final bytes: MimeKit's BodyBuilder made a part tree per message and then re-read, filtered and
/// encoded it when the message was written, which was about a tenth of the app's work under a burst of sign-ups.
/// </summary>
public static class AlternativeBody
{
    // One per process will do: no line of a quoted-printable part can look like it (see AlternativeLayout).
    private static readonly string Boundary = AlternativeLayout.NewBoundary();

    /// <summary>
    /// The body of <paramref name="text"/> and <paramref name="html"/>, encoded into <paramref name="buffer"/> (which
    /// it uses from the start): valid until the buffer is used again.
    /// </summary>
    public static MimeEntity Create(string text, string html, ArrayBufferWriter<byte> buffer)
    {
        buffer.ResetWrittenCount();
        AddPart(text, "text/plain", buffer);
        AlternativeLayout.WriteBetweenParts(buffer);
        AddPart(html, "text/html", buffer);
        AlternativeLayout.WriteClosing(buffer, Boundary);
        return new PreparedBody(new ContentType("multipart", "alternative") { Boundary = Boundary }, [], buffer.WrittenMemory);
    }

    private static void AddPart(string content, string mediaType, ArrayBufferWriter<byte> buffer)
    {
        AlternativeLayout.WritePartHeader(buffer, Boundary, mediaType);
        var utf8 = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(content.Length));
        try
        {
            var length = Encoding.UTF8.GetBytes(content, utf8);
            QuotedPrintable.Encode(utf8.AsSpan(0, length), buffer);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(utf8);
        }
    }
}
