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

    /// <summary>Bytes written as they are wherever they fall within a line: printable ASCII but '=', space and tab.</summary>
    private static readonly SearchValues<byte> Plain = SearchValues.Create(
        [(byte)'\t', .. Enumerable.Range(' ', '~' - ' ' + 1).Where(b => b != '=').Select(b => (byte)b)]);

    /// <summary>Encodes UTF-8 text (line breaks as LF or CRLF) with CRLF line ends; the output always ends with CRLF unless empty.</summary>
    public static void Encode(ReadOnlySpan<byte> text, IBufferWriter<byte> output)
    {
        if (text.IsEmpty) return;
        // Worst case every byte becomes =XX, plus a soft break per 25 such triplets.
        var span = output.GetSpan(text.Length * 3 + text.Length / 24 * 3 + 8);
        var at = 0;
        var line = 0;
        for (var i = 0; i < text.Length;)
        {
            // Most of a body is runs of plain bytes: those are copied a line's worth at a time. A run's last byte may
            // end a line (a space there must be encoded) and a line's first may be a '.' or the F of "From ", so
            // those take the byte-by-byte way below. Measured: a fifth of the time per byte on a confirmation email.
            var run = text[i..].IndexOfAnyExcept(Plain);
            var middle = (run < 0 ? text.Length - i : run) - 1;
            if (middle > 0)
            {
                if (line >= MaxLine - 1) SoftBreak(span, ref at, ref line);
                if (line > 0 || text[i] is not ((byte)'.' or (byte)'F'))
                {
                    var n = Math.Min(middle, MaxLine - 1 - line);
                    text.Slice(i, n).CopyTo(span[at..]);
                    at += n;
                    line += n;
                    i += n;
                    continue;
                }
            }

            var b = text[i];
            if (b == (byte)'\n' || (b == (byte)'\r' && i + 1 < text.Length && text[i + 1] == (byte)'\n'))
            {
                i += b == (byte)'\r' ? 2 : 1;
                span[at++] = (byte)'\r';
                span[at++] = (byte)'\n';
                line = 0;
                continue;
            }
            // Only a hard line break ends a line here: the end of the text gets a soft break, a lone CR becomes =0D.
            var lineEnds = text[(i + 1)..] is [(byte)'\n', ..] or [(byte)'\r', (byte)'\n', ..];
            var width = Literal(text, i, line, lineEnds) ? 1 : 3;
            // Keep room for the '=' of a soft break, unless this is the last character of a hard line.
            if (line + width > (lineEnds ? MaxLine : MaxLine - 1))
            {
                SoftBreak(span, ref at, ref line);
                width = Literal(text, i, line, lineEnds) ? 1 : 3; // now first on its line
            }
            if (width == 1)
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
            i++;
        }
        if (line > 0) SoftBreak(span, ref at, ref line);
        output.Advance(at);
    }

    /// <summary>
    /// Printable ASCII but '='; space and tab unless they would end a line (transports strip those); and not the F of
    /// a line-initial "From " nor a line-initial '.', which some transports mangle (at the start of any line, soft
    /// breaks' included).
    /// </summary>
    private static bool Literal(ReadOnlySpan<byte> text, int i, int line, bool lineEnds)
    {
        var b = text[i];
        var literal = b is >= 33 and <= 126 && b != (byte)'=' || b is (byte)' ' or (byte)'\t' && !lineEnds;
        return literal && !(line == 0 && (b == (byte)'.' || b == (byte)'F' && text[i..].StartsWith("From "u8)));
    }

    private static void SoftBreak(Span<byte> span, ref int at, ref int line)
    {
        span[at++] = (byte)'=';
        span[at++] = (byte)'\r';
        span[at++] = (byte)'\n';
        line = 0;
    }
}
