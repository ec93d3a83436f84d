using System.Security.Cryptography;
using Org.BouncyCastle.Asn1.EdEC;
using Org.BouncyCastle.Asn1.Pkcs;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Pkcs;
using Org.BouncyCastle.Security;

namespace Broadsheet.Delivery;

/// <summary>
/// A DKIM key for one sending domain and selector, stored as a PKCS#8 PEM that also tells its algorithm (rsa-sha256
/// with 2048 bits, or ed25519-sha256): generates the key pair, gives the DNS TXT record to publish, and makes the
/// signer (relaxed/relaxed canonicalisation).
/// </summary>
public sealed record DkimKey(string Domain, string Selector, string PrivateKeyPem)
{
    private const string Pkcs8Label = "PRIVATE KEY";

    public static DkimKey Generate(string domain, string selector, DkimAlgorithm algorithm = DkimAlgorithm.RsaSha256)
    {
        var pem = algorithm switch
        {
            DkimAlgorithm.RsaSha256 => GenerateRsa(),
            DkimAlgorithm.Ed25519Sha256 => GenerateEd25519(),
            _ => throw new ArgumentOutOfRangeException(nameof(algorithm)),
        };
        return new DkimKey(domain.Trim().ToLowerInvariant(), selector.Trim(), pem);
    }

    /// <summary>The key's algorithm, read from the PEM (its label, or the PKCS#8 algorithm identifier).</summary>
    public DkimAlgorithm Algorithm
    {
        get
        {
            var (label, der) = Decode(PrivateKeyPem);
            if (label == "RSA PRIVATE KEY") return DkimAlgorithm.RsaSha256;
            var oid = PrivateKeyInfo.GetInstance(der).PrivateKeyAlgorithm.Algorithm;
            if (label == Pkcs8Label && oid.Equals(PkcsObjectIdentifiers.RsaEncryption)) return DkimAlgorithm.RsaSha256;
            if (label == Pkcs8Label && oid.Equals(EdECObjectIdentifiers.id_Ed25519)) return DkimAlgorithm.Ed25519Sha256;
            throw new NotSupportedException($"The DKIM key for {DnsName} is neither RSA nor Ed25519.");
        }
    }

    /// <summary>Where the public key is published: <c>SELECTOR._domainkey.DOMAIN</c>.</summary>
    public string DnsName => $"{Selector}._domainkey.{Domain}";

    /// <summary>The TXT record's value: <c>v=DKIM1; k=rsa; p=…</c> (SubjectPublicKeyInfo) or <c>v=DKIM1; k=ed25519; p=…</c> (the raw 32-byte key, RFC 8463).</summary>
    public string DnsValue
    {
        get
        {
            if (Algorithm == DkimAlgorithm.Ed25519Sha256)
                return "v=DKIM1; k=ed25519; p=" + Convert.ToBase64String(Ed25519PrivateKey().GeneratePublicKey().GetEncoded());
            using var rsa = RSA.Create();
            rsa.ImportFromPem(PrivateKeyPem);
            return "v=DKIM1; k=rsa; p=" + Convert.ToBase64String(rsa.ExportSubjectPublicKeyInfo());
        }
    }

    /// <summary>A signer for this key (relaxed/relaxed); it holds the key, so keep one per sending connection.</summary>
    public DkimMessageSigner CreateSigner() => new(this);

    /// <summary>The Ed25519 private key of an ed25519-sha256 key.</summary>
    internal Ed25519PrivateKeyParameters Ed25519PrivateKey() =>
        PrivateKeyFactory.CreateKey(Decode(PrivateKeyPem).Der) as Ed25519PrivateKeyParameters
        ?? throw new InvalidOperationException($"The DKIM key for {DnsName} is not an Ed25519 key.");

    private static string GenerateRsa()
    {
        using var rsa = RSA.Create(2048);
        return rsa.ExportPkcs8PrivateKeyPem();
    }

    private static string GenerateEd25519()
    {
        // The private key is 32 random bytes (RFC 8032 5.1.5); .NET has no Ed25519, BouncyCastle encodes it.
        var key = new Ed25519PrivateKeyParameters(RandomNumberGenerator.GetBytes(Ed25519PrivateKeyParameters.KeySize));
        return PemEncoding.WriteString(Pkcs8Label, PrivateKeyInfoFactory.CreatePrivateKeyInfo(key).GetDerEncoded());
    }

    private static (string Label, byte[] Der) Decode(string pem)
    {
        var fields = PemEncoding.Find(pem);
        return (pem[fields.Label], Convert.FromBase64String(pem[fields.Base64Data]));
    }
}
