using MimeKit;

namespace Broadsheet.Delivery;

/// <summary>
/// The standard headers of a newsletter message: List-Id, List-Unsubscribe with an HTTPS one-click URL and a mailto,
/// List-Unsubscribe-Post (RFC 8058), and the DKIM signature over the headers that receivers check.
/// </summary>
public static class ListHeaders
{
    /// <summary>Signed with DKIM whenever present.</summary>
    public static readonly string[] Signed =
        ["From", "Subject", "Date", "Message-ID", "To", "List-Id", "List-Unsubscribe", "List-Unsubscribe-Post"];

    public static void Add(MimeMessage message, string listName, string listAddress, string oneClickUrl, string unsubscribeMailto)
    {
        message.Headers.Replace("List-Id", $"{listName.Replace("\"", "'")} <{listAddress}>");
        message.Headers.Replace("List-Unsubscribe", $"<{oneClickUrl}>, <mailto:{unsubscribeMailto}>");
        message.Headers.Replace("List-Unsubscribe-Post", "List-Unsubscribe=One-Click");
    }

    /// <summary>Signs the message as it will be sent (7-bit safe first, since relays may re-encode 8-bit parts).</summary>
    public static void Sign(MimeMessage message, DkimMessageSigner signer)
    {
        message.Prepare(EncodingConstraint.SevenBit);
        signer.Sign(message, Signed);
    }
}
