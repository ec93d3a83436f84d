using System.Buffers.Binary;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Broadsheet.Signup;

/// <summary>
/// The link tokens minted for every newsletter message (unsubscribe, preference page) and every sign-up (confirmation,
/// "more newsletters"), sealed with AES under keys derived once from the site's link key, so minting one costs 0.2 µs
/// (unsubscribe) or about 1 µs (the others) where Data Protection, which derives fresh subkeys and draws random bytes
/// per token, costs about 20.
/// </summary>
/// <remarks>
/// Unsubscribe: the format byte, then one AES-256 block enciphering a purpose tag and the subscription id
/// (encode-then-encipher: a changed block deciphers to noise whose tag matches with odds of 2^-64). Deterministic, so
/// a subscription always has the same link, and it never expires: old emails keep working.
/// Owner link (an address), confirmation (a consent nonce) and more newsletters (an address) are sealed text: the
/// format byte, a random 96-bit nonce, then AES-256-GCM over the expiry (Unix seconds) and the UTF-8 text, with the
/// format byte as associated data. Random nonces keep one key safe for 2^32 tokens (NIST SP 800-38D), and each of
/// these kinds has a key of its own: for owner links that is 11 years of a daily edition to a million readers, and
/// sign-ups mint one confirmation and at most one "more newsletters" token each.
/// Each purpose has its own HKDF-derived key and its own format byte, so no kind reads as another, even where two
/// have the same shape.
/// </remarks>
public sealed class CompactLinkTokens : IDisposable
{
    private const byte UnsubscribeFormat = 0xB1;
    private const int BlockSize = 16;
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private const int ExpirySize = 8;
    private const int UnsubscribeLength = 1 + BlockSize;
    private const int SealedOverhead = 1 + NonceSize + ExpirySize + TagSize;
    private const int MaxTokenChars = 4096;
    private static ReadOnlySpan<byte> UnsubscribeTag => "unsub.v1"u8;

    // The owner link's label and format byte are those its tokens were first minted with: links already sent keep working.
    private static readonly SealedKind OwnerLinkKind = new(0, 0xB2, "Broadsheet link token: owner link");
    private static readonly SealedKind ConfirmationKind = new(1, 0xB3, "Broadsheet link token: confirmation");
    private static readonly SealedKind MoreNewslettersKind = new(2, 0xB4, "Broadsheet link token: more newsletters");
    private static readonly SealedKind[] SealedKinds = [OwnerLinkKind, ConfirmationKind, MoreNewslettersKind];

    private readonly byte[] _unsubscribeKey;
    private readonly byte[][] _sealedKeys;
    // AES transforms and AesGcm keep native state between calls and are not thread-safe, so each thread (the send
    // engine mints from eight) has its own.
    private readonly ThreadLocal<Ciphers> _ciphers;

    public CompactLinkTokens(byte[] siteKey)
    {
        _unsubscribeKey = HKDF.DeriveKey(HashAlgorithmName.SHA256, siteKey, 32, [], "Broadsheet link token: unsubscribe"u8.ToArray());
        _sealedKeys = [.. SealedKinds.Select(k => HKDF.DeriveKey(HashAlgorithmName.SHA256, siteKey, 32, [], Encoding.UTF8.GetBytes(k.KeyLabel)))];
        _ciphers = new ThreadLocal<Ciphers>(() => new Ciphers(_unsubscribeKey, _sealedKeys), trackAllValues: true);
    }

    public string Unsubscribe(long subscriptionId)
    {
        var c = _ciphers.Value!;
        UnsubscribeTag.CopyTo(c.Block);
        BinaryPrimitives.WriteInt64BigEndian(c.Block.AsSpan(UnsubscribeTag.Length), subscriptionId);
        c.UnsubscribeToken[0] = UnsubscribeFormat;
        c.Encryptor.TransformBlock(c.Block, 0, BlockSize, c.UnsubscribeToken, 1);
        return Base64Url.EncodeToString(c.UnsubscribeToken);
    }

    /// <summary>The subscription id, or null when the token is not an unsubscribe token of this site's key.</summary>
    public long? ReadUnsubscribe(string? token)
    {
        if (token is null || token.Length != Base64Url.GetEncodedLength(UnsubscribeLength)) return null;
        if (Decode(token) is not { Length: UnsubscribeLength } bytes || bytes[0] != UnsubscribeFormat) return null;
        var c = _ciphers.Value!;
        c.Decryptor.TransformBlock(bytes, 1, BlockSize, c.Block, 0);
        if (!c.Block.AsSpan(0, UnsubscribeTag.Length).SequenceEqual(UnsubscribeTag)) return null;
        return BinaryPrimitives.ReadInt64BigEndian(c.Block.AsSpan(UnsubscribeTag.Length));
    }

    public string OwnerLink(string email, DateTimeOffset expires) => Seal(OwnerLinkKind, email, expires);

    /// <summary>The address, or null when the token is not an owner link of this site's key or expired by <paramref name="now"/>.</summary>
    public string? ReadOwnerLink(string? token, DateTimeOffset now) => Open(OwnerLinkKind, token, now);

    /// <summary>A link that confirms the opt-in whose consent record has <paramref name="nonce"/>.</summary>
    public string Confirmation(string nonce, DateTimeOffset expires) => Seal(ConfirmationKind, nonce, expires);

    /// <summary>The consent nonce, or null when the token is not a confirmation of this site's key or expired by <paramref name="now"/>.</summary>
    public string? ReadConfirmation(string? token, DateTimeOffset now) => Open(ConfirmationKind, token, now);

    /// <summary>The "Click here" link after a sign-up, which adds newsletters for <paramref name="email"/>.</summary>
    public string MoreNewsletters(string email, DateTimeOffset expires) => Seal(MoreNewslettersKind, email, expires);

    /// <summary>The address, or null when the token is not a "more newsletters" link of this site's key or expired by <paramref name="now"/>.</summary>
    public string? ReadMoreNewsletters(string? token, DateTimeOffset now) => Open(MoreNewslettersKind, token, now);

    public void Dispose()
    {
        foreach (var c in _ciphers.Values) c.Dispose();
        _ciphers.Dispose();
        CryptographicOperations.ZeroMemory(_unsubscribeKey);
        foreach (var key in _sealedKeys) CryptographicOperations.ZeroMemory(key);
    }

    private string Seal(SealedKind kind, string text, DateTimeOffset expires)
    {
        var c = _ciphers.Value!;
        var length = SealedOverhead + Encoding.UTF8.GetByteCount(text);
        var plainLength = length - SealedOverhead + ExpirySize;
        Span<byte> token = length <= 1024 ? stackalloc byte[length] : new byte[length];
        Span<byte> plain = length <= 1024 ? stackalloc byte[plainLength] : new byte[plainLength];
        BinaryPrimitives.WriteInt64BigEndian(plain, expires.ToUnixTimeSeconds());
        Encoding.UTF8.GetBytes(text, plain[ExpirySize..]);
        token[0] = kind.Format;
        c.NextNonce(token.Slice(1, NonceSize));
        c.Sealed[kind.Slot].Encrypt(token.Slice(1, NonceSize), plain, token.Slice(1 + NonceSize, plainLength), token[^TagSize..], token[..1]);
        return Base64Url.EncodeToString(token);
    }

    private string? Open(SealedKind kind, string? token, DateTimeOffset now)
    {
        if (token is null || token.Length > MaxTokenChars) return null;
        if (Decode(token) is not { Length: >= SealedOverhead } bytes || bytes[0] != kind.Format) return null;
        var plain = new byte[bytes.Length - SealedOverhead + ExpirySize];
        try
        {
            _ciphers.Value!.Sealed[kind.Slot].Decrypt(bytes.AsSpan(1, NonceSize), bytes.AsSpan(1 + NonceSize, plain.Length), bytes.AsSpan(bytes.Length - TagSize), plain, bytes.AsSpan(0, 1));
        }
        catch (CryptographicException)
        {
            return null;
        }
        if (BinaryPrimitives.ReadInt64BigEndian(plain) <= now.ToUnixTimeSeconds()) return null;
        return Encoding.UTF8.GetString(plain.AsSpan(ExpirySize));
    }

    /// <summary>The bytes of a token spelled exactly as we spell them, else null.</summary>
    private static byte[]? Decode(string token)
    {
        var bytes = new byte[Base64Url.GetMaxDecodedLength(token.Length)];
        if (Base64Url.DecodeFromChars(token, bytes, out _, out var written) != System.Buffers.OperationStatus.Done) return null;
        Array.Resize(ref bytes, written);
        // The decoder skips white space, takes padding and ignores a last character's unused bits; those other
        // spellings of a token are refused so that a token has exactly one form.
        return Base64Url.EncodeToString(bytes) == token ? bytes : null;
    }

    /// <summary>A kind of sealed-text token: its cipher's slot, its format byte and the label its key is derived under.</summary>
    private sealed record SealedKind(int Slot, byte Format, string KeyLabel);

    /// <summary>One thread's ciphers, scratch blocks and a reserve of random bytes for nonces.</summary>
    private sealed class Ciphers : IDisposable
    {
        private readonly Aes _aes = Aes.Create();
        // The system RNG costs about as much per call for 12 bytes as for a kilobyte, so nonces come from a reserve.
        private readonly byte[] _random = new byte[NonceSize * 85];
        private int _used;

        public Ciphers(byte[] unsubscribeKey, byte[][] sealedKeys)
        {
            _aes.Key = unsubscribeKey;
            _aes.Mode = CipherMode.ECB;
            _aes.Padding = PaddingMode.None;
            Encryptor = _aes.CreateEncryptor();
            Decryptor = _aes.CreateDecryptor();
            Sealed = [.. sealedKeys.Select(k => new AesGcm(k, TagSize))];
            _used = _random.Length;
        }

        public ICryptoTransform Encryptor { get; }
        public ICryptoTransform Decryptor { get; }
        /// <summary>The AES-GCM cipher of each sealed kind, by its slot.</summary>
        public AesGcm[] Sealed { get; }
        public byte[] Block { get; } = new byte[BlockSize];
        public byte[] UnsubscribeToken { get; } = new byte[UnsubscribeLength];

        /// <summary>Fresh random bytes, each handed out once.</summary>
        public void NextNonce(Span<byte> nonce)
        {
            if (_used == _random.Length)
            {
                RandomNumberGenerator.Fill(_random);
                _used = 0;
            }
            _random.AsSpan(_used, NonceSize).CopyTo(nonce);
            _used += NonceSize;
        }

        public void Dispose()
        {
            Encryptor.Dispose();
            Decryptor.Dispose();
            foreach (var gcm in Sealed) gcm.Dispose();
            _aes.Dispose();
        }
    }
}
