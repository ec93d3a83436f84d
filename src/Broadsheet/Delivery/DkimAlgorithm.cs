namespace Broadsheet.Delivery;

/// <summary>The DKIM signing algorithms a key can have; RSA comes first because every receiver checks it.</summary>
public enum DkimAlgorithm
{
    /// <summary>rsa-sha256 with a 2048-bit key (RFC 6376).</summary>
    RsaSha256,

    /// <summary>ed25519-sha256 (RFC 8463): short keys and signatures, but many receivers still ignore it.</summary>
    Ed25519Sha256,
}
