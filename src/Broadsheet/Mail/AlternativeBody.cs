using System.Buffers;
using System.Text;
using Broadsheet.Delivery;

namespace Broadsheet.Mail;

/// <summary>
/// A transactional message's body, multipart/alternative (plain text, then HTML, both quoted-printable), encoded
/// straight to its final bytes: MimeKit's BodyBuilder made a part tree per message and then re-read, filtered and
/// encoded it when the message was written, which was about a tenth of the app's work under a burst of sign-ups.
/// <see cref="TransactionalMessage"/> writes the headers before it.
/// </summary>
public static class AlternativeBody
{
    // One per process will do: no line of a quoted-printable part can look like it (see AlternativeLayout).
    private static readonly string Boundary = AlternativeLayout.NewBoundary();

    /// <summary>
    /// Appends the body's headers (Content-Type with the boundary), the blank line that ends a message's headers, and
    /// the body of <paramref name="text"/> and <paramref name="html"/> to <paramref name="output"/>.
    /// </summary>
    public static void Write(string text, string html, ArrayBufferWriter<byte> output)
    {
        var header = $"Content-Type: multipart/alternative; boundary=\"{Boundary}\"\r\n\r\n";
        output.Advance(Encoding.ASCII.GetBytes(header, output.GetSpan(header.Length)));
        AddPart(text, "text/plain", output);
        AlternativeLayout.WriteBetweenParts(output);
        AddPart(html, "text/html", output);
        AlternativeLayout.WriteClosing(output, Boundary);
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
