using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using MimeKit;

namespace Broadsheet.Delivery;

/// <summary>The site key that makes VERP tokens tamper-evident, created once and shared by every node.</summary>
public sealed class VerpKey(IServiceScopeFactory scopes) : Site.SiteSecret(scopes, "verp-hmac-key");

/// <summary>
/// Per-recipient envelope senders (VERP): <c>bounces+ID-MAC@domain</c> for <c>Delivery:BounceAddress</c>
/// <c>bounces@domain</c>, where ID is the delivery record and MAC a short HMAC of it, so a bounce names exactly one
/// record and a forged or mistyped one names none.
/// </summary>
public sealed class VerpAddress(byte[] key, string bounceAddress)
{
    private const string Alphabet = "abcdefghijklmnopqrstuvwxyz234567";
    private readonly string _local = bounceAddress[..bounceAddress.LastIndexOf('@')];
    private readonly string _domain = bounceAddress[(bounceAddress.LastIndexOf('@') + 1)..];

    // One keyed HMAC per thread, reset after each use: the one-shot form looks the algorithm up in OpenSSL every call,
    // which cost more than the hash (about 8 µs per message).
    private readonly ThreadLocal<IncrementalHash> _hmac = new(() => IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key));

    /// <summary>False when <paramref name="bounceAddress"/> is not a plain <c>local@domain</c> address.</summary>
    public static bool IsValid(string bounceAddress) =>
        MailboxAddress.TryParse(bounceAddress, out var m) && m.Address == bounceAddress.Trim() && m.Address.IndexOf('@') > 0 && !m.Address.Contains('+');

    public string Domain => _domain;

    /// <summary>Where list-unsubscribe mail goes: the bounce mailbox with a <c>+unsubscribe</c> tag.</summary>
    public string UnsubscribeAddress => $"{_local}+unsubscribe@{_domain}";

    public string For(long deliveryId) => $"{_local}+{deliveryId.ToString(CultureInfo.InvariantCulture)}-{Mac(deliveryId)}@{_domain}";

    /// <summary>The delivery record a bounce was addressed to, or null when the address is not one of ours or was altered.</summary>
    public long? TryRead(string? address)
    {
        if (address is null) return null;
        var at = address.LastIndexOf('@');
        var plus = address.IndexOf('+');
        if (at < 0 || plus < 0 || plus > at || !string.Equals(address[(at + 1)..], _domain, StringComparison.OrdinalIgnoreCase)) return null;
        var token = address[(plus + 1)..at].ToLowerInvariant();
        var dash = token.IndexOf('-');
        if (dash < 0 || !long.TryParse(token.AsSpan(0, dash), NumberStyles.None, CultureInfo.InvariantCulture, out var id)) return null;
        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(token[(dash + 1)..]), Encoding.ASCII.GetBytes(Mac(id))) ? id : null;
    }

    /// <summary>40 bits of HMAC-SHA256 in lower-case base32: short enough for a local part, far too many to guess.</summary>
    private string Mac(long id)
    {
        Span<byte> input = stackalloc byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(input, id);
        Span<byte> hash = stackalloc byte[32];
        var hmac = _hmac.Value!;
        hmac.AppendData(input);
        hmac.GetHashAndReset(hash);
        var bits = ((ulong)hash[0] << 32) | ((ulong)hash[1] << 24) | ((ulong)hash[2] << 16) | ((ulong)hash[3] << 8) | hash[4];
        return string.Create(8, bits, (chars, b) =>
        {
            for (var i = 7; i >= 0; i--, b >>= 5) chars[i] = Alphabet[(int)(b & 31)];
        });
    }
}
