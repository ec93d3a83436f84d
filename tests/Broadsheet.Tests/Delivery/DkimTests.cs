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

    [Theory]
    [InlineData(DkimAlgorithm.RsaSha256, "rsa")]
    [InlineData(DkimAlgorithm.Ed25519Sha256, "ed25519")]
    public void A_signed_edition_verifies_and_a_changed_one_does_not(DkimAlgorithm algorithm, string keyType)
    {
        var key = DkimKey.Generate("News.Example", "bs2026", algorithm);
        Assert.Equal("bs2026._domainkey.news.example", key.DnsName);
        Assert.Equal(algorithm, key.Algorithm);
        Assert.StartsWith($"v=DKIM1; k={keyType}; p=", key.DnsValue);

        var message = Edition();
        ListHeaders.Sign(message, key.CreateSigner());
        var received = RoundTrip(message);

        var signature = received.Headers[received.Headers.IndexOf(HeaderId.DkimSignature)];
        Assert.Contains($"a={keyType}-sha256", signature.Value);
        Assert.Contains("c=relaxed/relaxed", signature.Value);
        foreach (var header in ListHeaders.Signed)
            Assert.Contains(header.ToLowerInvariant(), signature.Value.ToLowerInvariant());

        var verifier = new DkimVerifier(new Sends.PublishedKey(key));
        Assert.True(verifier.Verify(received, signature));

        received.Subject = "Changed in transit";
        Assert.False(verifier.Verify(received, signature));
        var reworded = RoundTrip(message);
        reworded.BodyParts.OfType<TextPart>().First().Text = "Five other stories.";
        Assert.False(verifier.Verify(reworded, reworded.Headers[reworded.Headers.IndexOf(HeaderId.DkimSignature)]));
    }

    [Fact]
    public void An_ed25519_key_publishes_its_raw_public_key_as_RFC_8463_shows()
    {
        // RFC 8463 A.2's key (RFC 8032's first test vector), in the PKCS#8 form OpenSSL writes.
        var seed = Convert.FromBase64String("nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=");
        var pem = System.Security.Cryptography.PemEncoding.WriteString("PRIVATE KEY", [.. Convert.FromHexString("302e020100300506032b657004220420"), .. seed]);
        var key = new DkimKey("football.example.com", "brisbane", pem);
        Assert.Equal(DkimAlgorithm.Ed25519Sha256, key.Algorithm);
        Assert.Equal("v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=", key.DnsValue);

        var generated = DkimKey.Generate("news.example", "ed1", DkimAlgorithm.Ed25519Sha256);
        Assert.Equal(32, Convert.FromBase64String(generated.DnsValue.Split("p=")[1]).Length);
        Assert.NotEqual(generated.DnsValue, DkimKey.Generate("news.example", "ed1", DkimAlgorithm.Ed25519Sha256).DnsValue);
    }

    [Fact]
    public void List_headers_follow_RFC_2369_and_RFC_8058()
    {
        var message = Edition();
        Assert.Equal("The Morning Briefing <morning-briefing.news.example>", message.Headers["List-Id"]);
        Assert.Equal("<https://news.example/unsubscribe/one-click?t=abc>, <mailto:unsubscribe@news.example>", message.Headers["List-Unsubscribe"]);
        Assert.Equal("List-Unsubscribe=One-Click", message.Headers["List-Unsubscribe-Post"]);
    }

    [Fact]
    public void The_body_hash_is_the_one_MimeKit_s_own_signer_computes_and_the_signature_verifies()
    {
        var key = DkimKey.Generate("news.example", "s1");
        var message = Edition();
        // White space and empty lines at the ends of lines and of the body are what relaxed canonicalisation is about.
        message.Body = new BodyBuilder { TextBody = "Tabs\tand  spaces   \r\n\r\nsecond paragraph \t\r\n\r\n\r\n", HtmlBody = "<p>One</p>\r\n\r\n" }.ToMessageBody();
        message.Prepare(EncodingConstraint.SevenBit);
        var copy = RoundTrip(message);

        var mimeKit = new DkimSigner(new MemoryStream(System.Text.Encoding.ASCII.GetBytes(key.PrivateKeyPem)), key.Domain, key.Selector)
        {
            HeaderCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed,
            BodyCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed,
        };
        mimeKit.Sign(copy, ["From"]);
        ListHeaders.Sign(message, key.CreateSigner());

        static string Tag(MimeMessage m, string name) =>
            m.Headers[HeaderId.DkimSignature].Replace("\r", "").Replace("\n", "").Split(';').Select(t => t.Trim())
                .Single(t => t.StartsWith(name + "=", StringComparison.Ordinal))[(name.Length + 1)..];
        Assert.Equal(Tag(copy, "bh"), Tag(message, "bh"));

        var received = RoundTrip(message);
        var signature = received.Headers[received.Headers.IndexOf(HeaderId.DkimSignature)];
        Assert.True(new DkimVerifier(new Sends.PublishedKey(key)).Verify(received, signature));
    }
}
