using Broadsheet.Delivery;
using MimeKit;
using MimeKit.Cryptography;

namespace Broadsheet.Tests.Delivery;

/// <summary>DKIM signatures made with a generated key verify with MimeKit's verifier against the published record.</summary>
public sealed class DkimTests
{
    private static MimeMessage Edition()
    {
        var message = new MimeMessage { Subject = "The Morning Briefing – 25 November", Date = DateTimeOffset.UtcNow, MessageId = "edition-1@news.example" };
        message.From.Add(new MailboxAddress("The Morning Briefing", "briefing@news.example"));
        message.To.Add(MailboxAddress.Parse("reader@example.com"));
        message.Body = new BodyBuilder { TextBody = "Five stories for your morning. “Quotes” and … included.", HtmlBody = "<p>Five stories for your morning.</p>" }.ToMessageBody();
        ListHeaders.Add(message, "The Morning Briefing", "morning-briefing.news.example", "https://news.example/unsubscribe/one-click?t=abc", "unsubscribe@news.example");
        return message;
    }

    private static MimeMessage RoundTrip(MimeMessage message)
    {
        using var stream = new MemoryStream();
        message.WriteTo(stream);
        stream.Position = 0;
        return MimeMessage.Load(stream);
    }

    [Fact]
    public void A_signed_edition_verifies_and_a_changed_one_does_not()
    {
        var key = DkimKey.Generate("News.Example", "bs2026");
        Assert.Equal("bs2026._domainkey.news.example", key.DnsName);
        Assert.StartsWith("v=DKIM1; k=rsa; p=", key.DnsValue);

        var message = Edition();
        ListHeaders.Sign(message, key.CreateSigner());
        var received = RoundTrip(message);

        var signature = received.Headers[received.Headers.IndexOf(HeaderId.DkimSignature)];
        Assert.Contains("a=rsa-sha256", signature.Value);
        Assert.Contains("c=relaxed/relaxed", signature.Value);
        foreach (var header in ListHeaders.Signed)
            Assert.Contains(header.ToLowerInvariant(), signature.Value.ToLowerInvariant());

        var verifier = new DkimVerifier(new Sends.PublishedKey(key));
        Assert.True(verifier.Verify(received, signature));

        received.Subject = "Changed in transit";
        Assert.False(verifier.Verify(received, signature));
    }

    [Fact]
    public void List_headers_follow_RFC_2369_and_RFC_8058()
    {
        var message = Edition();
        Assert.Equal("The Morning Briefing <morning-briefing.news.example>", message.Headers["List-Id"]);
        Assert.Equal("<https://news.example/unsubscribe/one-click?t=abc>, <mailto:unsubscribe@news.example>", message.Headers["List-Unsubscribe"]);
        Assert.Equal("List-Unsubscribe=One-Click", message.Headers["List-Unsubscribe-Post"]);
    }
}
