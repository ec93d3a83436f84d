using System.Security.Cryptography;
using System.Text;

namespace Broadsheet.Delivery;

/// <summary>
/// An rsa-sha256 DKIM key for one sending domain and selector: generates the 2048-bit key pair, gives the DNS TXT
/// record to publish, and makes the signer (relaxed/relaxed canonicalisation).
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

    /// <summary>A signer for this key (relaxed/relaxed rsa-sha256); it holds the key, so keep one per sending connection.</summary>
    public RsaDkimSigner CreateSigner() => new(PrivateKeyPem, Domain, Selector);
}
