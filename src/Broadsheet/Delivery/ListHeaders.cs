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

    /// <summary>The List-Unsubscribe-Post value of RFC 8058.</summary>
    public const string OneClickPost = "List-Unsubscribe=One-Click";

    public static string ListId(string listName, string listAddress) => $"{listName.Replace("\"", "'")} <{listAddress}>";

    /// <summary>The one-click URL, then the mailto; <paramref name="fold"/> breaks the line after the comma (the URL alone is long).</summary>
    public static string Unsubscribe(string oneClickUrl, string unsubscribeMailto, bool fold = false) =>
        $"<{oneClickUrl}>,{(fold ? "\r\n" : "")} <mailto:{unsubscribeMailto}>";

    public static void Add(MimeMessage message, string listName, string listAddress, string oneClickUrl, string unsubscribeMailto)
    {
        message.Headers.Replace("List-Id", ListId(listName, listAddress));
        message.Headers.Replace("List-Unsubscribe", Unsubscribe(oneClickUrl, unsubscribeMailto));
        message.Headers.Replace("List-Unsubscribe-Post", OneClickPost);
    }

    /// <summary>Signs the message as it will be sent (7-bit safe first, since relays may re-encode 8-bit parts).</summary>
    public static void Sign(MimeMessage message, DkimMessageSigner signer)
    {
        message.Prepare(EncodingConstraint.SevenBit);
        signer.Sign(message, Signed);
    }
}
