using System.Security.Cryptography;
using System.Text;
using MimeKit.Cryptography;

namespace Broadsheet.Delivery;

/// <summary>
/// An rsa-sha256 DKIM key for one sending domain and selector: generates the 2048-bit key pair, gives the DNS TXT
/// record to publish, and makes MimeKit's signer with relaxed/relaxed canonicalisation.
/// </summary>
public sealed record DkimKey(string Domain, string Selector, string PrivateKeyPem)
{
    public static DkimKey Generate(string domain, string selector)
    {
        using var rsa = RSA.Create(2048);
        return new DkimKey(domain.Trim().ToLowerInvariant(), selector.Trim(), rsa.ExportPkcs8PrivateKeyPem());
    }

    /// <summary>Where the public key is published: <c>SELECTOR._domainkey.DOMAIN</c>.</summary>
    public string DnsName => $"{Selector}._domainkey.{Domain}";

    /// <summary>The TXT record's value: <c>v=DKIM1; k=rsa; p=…</c>.</summary>
    public string DnsValue
    {
        get
        {
            using var rsa = RSA.Create();
            rsa.ImportFromPem(PrivateKeyPem);
            return "v=DKIM1; k=rsa; p=" + Convert.ToBase64String(rsa.ExportSubjectPublicKeyInfo());
        }
    }

    public DkimSigner CreateSigner()
    {
        using var pem = new MemoryStream(Encoding.ASCII.GetBytes(PrivateKeyPem));
        return new DkimSigner(pem, Domain, Selector, DkimSignatureAlgorithm.RsaSha256)
        {
            HeaderCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed,
            BodyCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed,
            AgentOrUserIdentifier = "@" + Domain,
            QueryMethod = "dns/txt",
        };
    }
}
