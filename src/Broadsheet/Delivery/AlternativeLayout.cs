using System.Buffers;
using System.Security.Cryptography;
using System.Text;

namespace Broadsheet.Delivery;

/// <summary>
/// The frame of the multipart/alternative bodies Broadsheet encodes itself (plain text, then HTML, both
/// quoted-printable): an edition's <see cref="EncodedBody"/> and a transactional message's body use the same one.
/// </summary>
public static class AlternativeLayout
{
    /// <summary>A fresh boundary: "=_" never occurs in quoted-printable text, so no line of a part can look like it.</summary>
    public static string NewBoundary() => "=_" + Convert.ToHexString(RandomNumberGenerator.GetBytes(12));

    /// <summary>Writes the boundary line and headers that open a part of <paramref name="mediaType"/>.</summary>
    public static void WritePartHeader(IBufferWriter<byte> output, string boundary, string mediaType) =>
        Ascii(output, $"--{boundary}\r\nContent-Type: {mediaType}; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n");

    /// <summary>Ends the text part: the line break before the next boundary belongs to the boundary.</summary>
    public static void WriteBetweenParts(IBufferWriter<byte> output) => Ascii(output, "\r\n");

    /// <summary>Ends the HTML part and the body.</summary>
    public static void WriteClosing(IBufferWriter<byte> output, string boundary) => Ascii(output, $"\r\n--{boundary}--\r\n");

    private static void Ascii(IBufferWriter<byte> output, string text) =>
        output.Advance(Encoding.ASCII.GetBytes(text, output.GetSpan(text.Length)));
}
