using System.Security.Cryptography;

namespace Broadsheet.Delivery;

/// <summary>
/// The frame of the multipart/alternative bodies Broadsheet encodes itself (plain text, then HTML, both
/// quoted-printable): an edition's <see cref="EncodedBody"/> and a transactional message's body use the same one.
/// </summary>
public static class AlternativeLayout
{
    /// <summary>A fresh boundary: "=_" never occurs in quoted-printable text, so no line of a part can look like it.</summary>
    public static string NewBoundary() => "=_" + Convert.ToHexString(RandomNumberGenerator.GetBytes(12));

    /// <summary>The boundary line and headers that open a part of <paramref name="mediaType"/>.</summary>
    public static string PartHeader(string boundary, string mediaType) =>
        $"--{boundary}\r\nContent-Type: {mediaType}; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n";

    /// <summary>Ends the text part: the line break before the next boundary belongs to the boundary.</summary>
    public const string BetweenParts = "\r\n";

    /// <summary>Ends the HTML part and the body.</summary>
    public static string Closing(string boundary) => $"\r\n--{boundary}--\r\n";
}
