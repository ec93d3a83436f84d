using System.Buffers;

namespace Broadsheet.Delivery;

/// <summary>
/// Quoted-printable (RFC 2045 6.7) for pieces of a message body that are encoded separately and joined: every piece
/// ends at the end of a line (a soft line break when its text does not end with a newline), so the pieces can be
/// encoded once per edition or once per recipient and concatenated without any line growing past 76 characters.
/// MimeKit's encoder keeps its line state inside one stream, which is what rules it out here.
/// </summary>
public static class QuotedPrintable
{
    private const int MaxLine = 76;
    private static ReadOnlySpan<byte> Hex => "0123456789ABCDEF"u8;

    /// <summary>Encodes UTF-8 text (line breaks as LF or CRLF) with CRLF line ends; the output always ends with CRLF unless empty.</summary>
    public static void Encode(ReadOnlySpan<byte> text, IBufferWriter<byte> output)
    {
        if (text.IsEmpty) return;
        // Worst case every byte becomes =XX, plus a soft break per 25 such triplets.
        var span = output.GetSpan(text.Length * 3 + text.Length / 24 * 3 + 8);
        var at = 0;
        var line = 0;
        for (var i = 0; i < text.Length; i++)
        {
            var b = text[i];
            if (b == (byte)'\n' || (b == (byte)'\r' && i + 1 < text.Length && text[i + 1] == (byte)'\n'))
            {
                if (b == (byte)'\r') i++;
                span[at++] = (byte)'\r';
                span[at++] = (byte)'\n';
                line = 0;
                continue;
            }
            var lineEnds = i + 1 == text.Length || text[i + 1] == (byte)'\n' || text[i + 1] == (byte)'\r';
            // Literal: printable ASCII but '='; space and tab unless they would end a line (transports strip those);
            // and not the F of a line-initial "From " nor a line-initial '.', which some transports mangle.
            var literal = b is >= 33 and <= 126 && b != (byte)'=' ||
                          b is (byte)' ' or (byte)'\t' && !lineEnds;
            if (literal && line == 0 && (b == (byte)'.' || b == (byte)'F' && text[i..].StartsWith("From "u8))) literal = false;
            var width = literal ? 1 : 3;
            // Keep room for the '=' of a soft break, unless this is the last character of a hard line.
            if (line + width > (lineEnds ? MaxLine : MaxLine - 1))
            {
                span[at++] = (byte)'=';
                span[at++] = (byte)'\r';
                span[at++] = (byte)'\n';
                line = 0;
            }
            if (literal)
            {
                span[at++] = b;
            }
            else
            {
                span[at++] = (byte)'=';
                span[at++] = Hex[b >> 4];
                span[at++] = Hex[b & 0xF];
            }
            line += width;
        }
        if (line > 0)
        {
            span[at++] = (byte)'=';
            span[at++] = (byte)'\r';
            span[at++] = (byte)'\n';
        }
        output.Advance(at);
    }
}
