using System.Buffers.Binary;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Broadsheet.Signup;

namespace Broadsheet.Tests.Signup;

/// <summary>
/// The compact link tokens (unsubscribe, and the sealed owner link, confirmation and "more newsletters"): they read
/// back what was minted, and nothing else: not a token with any bit changed or any character replaced, not another
/// kind, not another site's, not an expired one.
/// </summary>
public sealed class CompactLinkTokensTests : IDisposable
{
    private const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    private const string OwnerLink = "owner link";
    private const string Confirmation = "confirmation";
    private const string MoreNewsletters = "more newsletters";
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;
    private static readonly DateTimeOffset Later = Now.AddDays(30);
    private readonly CompactLinkTokens _tokens = new(RandomNumberGenerator.GetBytes(32));
    private readonly CompactLinkTokens _otherSite = new(RandomNumberGenerator.GetBytes(32));

    public void Dispose()
    {
        _tokens.Dispose();
        _otherSite.Dispose();
    }

    /// <summary>A kind of sealed text: how to mint it and how to read it.</summary>
    private sealed record Sealed(Func<CompactLinkTokens, string, DateTimeOffset, string> Mint, Func<CompactLinkTokens, string?, DateTimeOffset, string?> Read);

    private static readonly Dictionary<string, Sealed> Kinds = new()
    {
        [OwnerLink] = new((t, text, expires) => t.OwnerLink(text, expires), (t, token, now) => t.ReadOwnerLink(token, now)),
        [Confirmation] = new((t, text, expires) => t.Confirmation(text, expires), (t, token, now) => t.ReadConfirmation(token, now)),
        [MoreNewsletters] = new((t, text, expires) => t.MoreNewsletters(text, expires), (t, token, now) => t.ReadMoreNewsletters(token, now)),
    };

    public static TheoryData<long> Ids() => [0, 1, 42, 1_000_003, int.MaxValue, long.MaxValue];

    public static TheoryData<string> SealedKinds() => [.. Kinds.Keys];

    private static readonly string[] Emails =
        ["a@b.co", "reader.4f2a9c@example.com", "Ünïcödé.reader@bücher.example", "\"quoted local\"@example.org", new string('x', 64) + "@" + new string('d', 180) + ".example"];

    /// <summary>Each sealed kind with the texts it carries: addresses, or for a confirmation the consent nonces we store.</summary>
    public static TheoryData<string, string> KindsAndTexts()
    {
        var data = new TheoryData<string, string>();
        foreach (var email in Emails)
        {
            data.Add(OwnerLink, email);
            data.Add(MoreNewsletters, email);
        }
        data.Add(Confirmation, "4f2a9c0e8b1d4a7f9e3c5b2a1d0f8e7c");
        data.Add(Confirmation, "00000000000000000000000000000000");
        data.Add(Confirmation, Emails[2]);
        return data;
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void An_unsubscribe_token_reads_back_its_id_is_the_same_every_time_and_hides_the_id(long id)
    {
        var token = _tokens.Unsubscribe(id);
        Assert.Equal(id, _tokens.ReadUnsubscribe(token));
        Assert.Equal(token, _tokens.Unsubscribe(id));
        Assert.NotEqual(token, _tokens.Unsubscribe(id ^ 1));
        Assert.Matches("^[A-Za-z0-9_-]+$", token);
        var bytes = Base64Url.DecodeFromChars(token);
        var idBytes = new byte[8];
        BinaryPrimitives.WriteInt64BigEndian(idBytes, id);
        Assert.False(Contains(bytes, idBytes), "the id is readable in the token");
        Assert.False(Contains(bytes, "unsub.v1"u8.ToArray()), "the purpose tag is readable in the token");
    }

    [Theory]
    [MemberData(nameof(KindsAndTexts))]
    public void A_sealed_token_reads_back_its_text_is_new_every_time_and_hides_the_text(string kind, string text)
    {
        var k = Kinds[kind];
        var token = k.Mint(_tokens, text, Later);
        Assert.Equal(text, k.Read(_tokens, token, Now));
        Assert.NotEqual(token, k.Mint(_tokens, text, Later));
        Assert.Matches("^[A-Za-z0-9_-]+$", token);
        var bytes = Base64Url.DecodeFromChars(token);
        // Parts of four bytes or more: a shorter run turns up in random bytes by chance.
        foreach (var part in text.Split('@').Append(text).Select(Encoding.UTF8.GetBytes).Where(p => p.Length >= 4))
            Assert.False(Contains(bytes, part), $"'{Encoding.UTF8.GetString(part)}' is readable in the token");
    }

    [Fact]
    public void A_confirmation_of_a_stored_nonce_is_92_url_safe_characters()
    {
        // Consent nonces are 32 hex digits; the token goes into the confirmation email as it is, unescaped.
        var token = _tokens.Confirmation(Guid.NewGuid().ToString("N"), Now.AddHours(48));
        Assert.Equal(92, token.Length);
        Assert.Equal(token, Uri.EscapeDataString(token));
    }

    [Theory]
    [MemberData(nameof(SealedKinds))]
    public void A_sealed_token_is_refused_from_its_expiry_on(string kind)
    {
        var k = Kinds[kind];
        var token = k.Mint(_tokens, "expiring@example.com", Now.AddMinutes(5));
        Assert.Equal("expiring@example.com", k.Read(_tokens, token, Now.AddMinutes(4)));
        Assert.Null(k.Read(_tokens, token, Now.AddMinutes(5).AddSeconds(1)));
        Assert.Null(k.Read(_tokens, k.Mint(_tokens, "expired@example.com", Now.AddSeconds(-1)), Now));
    }

    [Fact]
    public void Every_single_bit_changed_anywhere_in_any_kind_is_refused()
    {
        var unsubscribe = Base64Url.DecodeFromChars(_tokens.Unsubscribe(1_234_567));
        for (var bit = 0; bit < unsubscribe.Length * 8; bit++)
            Assert.Null(_tokens.ReadUnsubscribe(Base64Url.EncodeToString(Flipped(unsubscribe, bit))));
        foreach (var k in Kinds.Values)
        {
            var token = Base64Url.DecodeFromChars(k.Mint(_tokens, "flip@example.com", Later));
            for (var bit = 0; bit < token.Length * 8; bit++)
                Assert.Null(k.Read(_tokens, Base64Url.EncodeToString(Flipped(token, bit)), Now));
        }
    }

    [Fact]
    public void Every_character_replaced_by_any_other_is_refused()
    {
        foreach (var (token, read) in Minted("swap@example.com"))
        {
            for (var i = 0; i < token.Length; i++)
            {
                foreach (var c in Alphabet.Where(c => c != token[i]))
                    Assert.Null(read(token[..i] + c + token[(i + 1)..]));
            }
        }
    }

    [Fact]
    public void Shortened_lengthened_padded_and_spaced_tokens_are_refused()
    {
        foreach (var (token, read) in Minted("shape@example.com"))
        {
            Assert.NotNull(read(token));
            foreach (var variant in new[] { token[..^1], token[1..], token + "A", "A" + token, token + "=", token + "==", token.Insert(4, " "), " " + token, token + "\n", "", null })
                Assert.Null(read(variant));
            Assert.Null(read(new string('A', 10_000)));
        }
    }

    [Fact]
    public void A_token_of_one_kind_is_not_read_as_another()
    {
        var unsubscribe = _tokens.Unsubscribe(5);
        var unsubscribeBytes = Base64Url.DecodeFromChars(unsubscribe);
        foreach (var (name, k) in Kinds)
        {
            var token = k.Mint(_tokens, "kind@example.com", Later);
            var bytes = Base64Url.DecodeFromChars(token);
            Assert.Null(k.Read(_tokens, unsubscribe, Now));
            Assert.Null(_tokens.ReadUnsubscribe(token));
            // Even cut to the unsubscribe length, or with the other kind's format byte put in front.
            Assert.Null(_tokens.ReadUnsubscribe(Base64Url.EncodeToString(bytes.AsSpan(0, unsubscribeBytes.Length))));
            Assert.Null(_tokens.ReadUnsubscribe(Base64Url.EncodeToString([unsubscribeBytes[0], .. bytes.AsSpan(1, unsubscribeBytes.Length - 1)])));
            var padded = new byte[bytes.Length];
            unsubscribeBytes.CopyTo(padded, 0);
            padded[0] = bytes[0];
            Assert.Null(k.Read(_tokens, Base64Url.EncodeToString(padded), Now));

            // The sealed kinds have the same shape: neither as they are nor given the other's format byte.
            foreach (var (otherName, other) in Kinds.Where(o => o.Key != name))
            {
                Assert.Null(other.Read(_tokens, token, Now));
                var relabelled = (byte[])bytes.Clone();
                relabelled[0] = Base64Url.DecodeFromChars(other.Mint(_tokens, "kind@example.com", Later))[0];
                Assert.NotEqual(bytes[0], relabelled[0]);
                Assert.Null(other.Read(_tokens, Base64Url.EncodeToString(relabelled), Now));
            }
        }
    }

    [Fact]
    public void Another_sites_tokens_are_refused_and_differ_from_ours()
    {
        Assert.NotEqual(_tokens.Unsubscribe(12), _otherSite.Unsubscribe(12));
        Assert.Null(_tokens.ReadUnsubscribe(_otherSite.Unsubscribe(12)));
        Assert.Null(_otherSite.ReadUnsubscribe(_tokens.Unsubscribe(12)));
        using var sameSecret = new CompactLinkTokens(SameKey);
        using var sameSecretAgain = new CompactLinkTokens(SameKey);
        Assert.Equal(33, sameSecretAgain.ReadUnsubscribe(sameSecret.Unsubscribe(33)));
        foreach (var k in Kinds.Values)
        {
            Assert.Null(k.Read(_tokens, k.Mint(_otherSite, "site@example.com", Later), Now));
            Assert.Null(k.Read(_otherSite, k.Mint(_tokens, "site@example.com", Later), Now));
            Assert.Equal("node@example.com", k.Read(sameSecretAgain, k.Mint(sameSecret, "node@example.com", Later), Now));
        }
    }

    [Fact]
    public async Task Eight_threads_minting_at_once_get_tokens_that_read_back_and_never_repeat()
    {
        var minted = await Task.WhenAll(Enumerable.Range(0, 8).Select(t => Task.Run(() =>
            Enumerable.Range(0, 2_000).Select(i => (Id: t * 10_000L + i, Email: $"t{t}.{i}@example.com")).Select(r =>
                (r.Id, r.Email, Unsubscribe: _tokens.Unsubscribe(r.Id), Owner: _tokens.OwnerLink(r.Email, Later),
                 Confirm: _tokens.Confirmation(r.Email, Later), More: _tokens.MoreNewsletters(r.Email, Later))).ToList())));
        var all = minted.SelectMany(m => m).ToList();
        Assert.All(all, r =>
        {
            Assert.Equal(r.Id, _tokens.ReadUnsubscribe(r.Unsubscribe));
            Assert.Equal(r.Email, _tokens.ReadOwnerLink(r.Owner, Now));
            Assert.Equal(r.Email, _tokens.ReadConfirmation(r.Confirm, Now));
            Assert.Equal(r.Email, _tokens.ReadMoreNewsletters(r.More, Now));
        });
        Assert.Equal(all.Count, all.Select(r => r.Unsubscribe).Distinct().Count());
        // The nonces (bytes 1-12) of 48,000 sealed tokens, which draw on one reserve per thread: a repeat would mean
        // the reserve was handed out twice.
        var nonces = all.SelectMany(r => new[] { r.Owner, r.Confirm, r.More }).Select(t => Convert.ToHexString(Base64Url.DecodeFromChars(t).AsSpan(1, 12))).ToList();
        Assert.Equal(nonces.Count, nonces.Distinct().Count());
    }

    private static readonly byte[] SameKey = RandomNumberGenerator.GetBytes(32);

    /// <summary>A token of every kind for <paramref name="email"/>, each with its reader.</summary>
    private IEnumerable<(string Token, Func<string?, object?> Read)> Minted(string email) =>
        Kinds.Values.Select(k => (k.Mint(_tokens, email, Later), (Func<string?, object?>)(t => k.Read(_tokens, t, Now))))
            .Prepend((_tokens.Unsubscribe(7_654_321), t => _tokens.ReadUnsubscribe(t)));

    private static byte[] Flipped(byte[] bytes, int bit)
    {
        var copy = (byte[])bytes.Clone();
        copy[bit / 8] ^= (byte)(1 << (bit % 8));
        return copy;
    }

    private static bool Contains(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle) >= 0;
}
