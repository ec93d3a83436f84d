using MimeKit;

namespace Broadsheet.Delivery;

/// <summary>
/// The body of a message, already encoded to its final bytes (7-bit, CRLF, short lines), carrying the
/// message's header fields as they were written, folded and signed. MimeKit writes the headers and this entity
/// writes its bytes as they are: building a MIME tree per recipient and letting MailKit prepare, measure and
/// serialise it cost more than everything else in a send together. The bytes live in a buffer its maker reuses (a
/// sending connection's <see cref="MessageBuffers"/>, the mail worker's body buffer), so a message made with it is
/// valid until its maker builds the next one.
/// </summary>
public sealed class PreparedBody : MimeEntity
{
    private readonly ReadOnlyMemory<byte> _content;

    /// <param name="contentType">The top-level Content-Type (multipart/alternative with the body's boundary).</param>
    /// <param name="fields">Whole header fields, <c>Name: value</c> with CRLF folds and a final CRLF, in order.</param>
    /// <param name="content">The body after the header block.</param>
    public PreparedBody(ContentType contentType, IEnumerable<string> fields, ReadOnlyMemory<byte> content) : base(contentType)
    {
        _content = content;
        var at = 0;
        foreach (var field in fields)
        {
            if (!Header.TryParse(System.Text.Encoding.ASCII.GetBytes(field), out var header))
                throw new FormatException($"Not a header field: {field.Split(':')[0]}");
            Headers.Insert(at++, header); // before the Content-Type
        }
    }

    // Nothing to re-encode, and nothing inside for visitors.
    public override void Prepare(EncodingConstraint constraint, int maxLineLength = 78) { }
    public override void Accept(MimeVisitor visitor) { }

    public override void WriteTo(FormatOptions options, Stream stream, bool contentOnly, CancellationToken cancellationToken = default)
    {
        if (!contentOnly) throw new NotSupportedException("A prepared body is written by its message.");
        stream.Write(_content.Span);
    }

    public override Task WriteToAsync(FormatOptions options, Stream stream, bool contentOnly, CancellationToken cancellationToken = default)
    {
        if (!contentOnly) throw new NotSupportedException("A prepared body is written by its message.");
        return stream.WriteAsync(_content, cancellationToken).AsTask();
    }
}
