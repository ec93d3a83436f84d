using System.Buffers.Binary;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Broadsheet.Signup;

namespace Broadsheet.Tests.Signup;

/// <summary>
/// The compact unsubscribe and owner-link tokens: they read back what was minted, and nothing else: not a token
/// with any bit changed or any character replaced, not the other kind, not another site's, not an expired link.
/// </summary>
public sealed class CompactLinkTokensTests : IDisposable
{
    private const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;
    private static readonly DateTimeOffset Later = Now.AddDays(30);
    private readonly CompactLinkTokens _tokens = new(RandomNumberGenerator.GetBytes(32));
    private readonly CompactLinkTokens _otherSite = new(RandomNumberGenerator.GetBytes(32));

    public void Dispose()
    {
        _tokens.Dispose();
        _otherSite.Dispose();
    }

    public static TheoryData<long> Ids() => [0, 1, 42, 1_000_003, int.MaxValue, long.MaxValue];

    public static TheoryData<string> Emails() =>
        ["a@b.co", "reader.4f2a9c@example.com", "Ünïcödé.reader@bücher.example", "\"quoted local\"@example.org", new string('x', 64) + "@" + new string('d', 180) + ".example"];

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
    [MemberData(nameof(Emails))]
    public void An_owner_link_reads_back_its_address_is_new_every_time_and_hides_the_address(string email)
    {
        var token = _tokens.OwnerLink(email, Later);
        Assert.Equal(email, _tokens.ReadOwnerLink(token, Now));
        Assert.NotEqual(token, _tokens.OwnerLink(email, Later));
        Assert.Matches("^[A-Za-z0-9_-]+$", token);
        var bytes = Base64Url.DecodeFromChars(token);
        // Parts of four bytes or more: a shorter run turns up in random bytes by chance.
        foreach (var part in email.Split('@').Append(email).Select(Encoding.UTF8.GetBytes).Where(p => p.Length >= 4))
            Assert.False(Contains(bytes, part), $"'{Encoding.UTF8.GetString(part)}' is readable in the token");
    }

    [Fact]
    public void An_owner_link_is_refused_from_its_expiry_on()
    {
        var token = _tokens.OwnerLink("expiring@example.com", Now.AddMinutes(5));
        Assert.Equal("expiring@example.com", _tokens.ReadOwnerLink(token, Now.AddMinutes(4)));
        Assert.Null(_tokens.ReadOwnerLink(token, Now.AddMinutes(5).AddSeconds(1)));
        Assert.Null(_tokens.ReadOwnerLink(_tokens.OwnerLink("expired@example.com", Now.AddSeconds(-1)), Now));
    }

    [Fact]
    public void Every_single_bit_changed_anywhere_in_either_kind_is_refused()
    {
        var unsubscribe = Base64Url.DecodeFromChars(_tokens.Unsubscribe(1_234_567));
        var owner = Base64Url.DecodeFromChars(_tokens.OwnerLink("flip@example.com", Later));
        for (var bit = 0; bit < unsubscribe.Length * 8; bit++)
            Assert.Null(_tokens.ReadUnsubscribe(Base64Url.EncodeToString(Flipped(unsubscribe, bit))));
        for (var bit = 0; bit < owner.Length * 8; bit++)
            Assert.Null(_tokens.ReadOwnerLink(Base64Url.EncodeToString(Flipped(owner, bit)), Now));
    }

    [Fact]
    public void Every_character_replaced_by_any_other_is_refused()
    {
        var unsubscribe = _tokens.Unsubscribe(7_654_321);
        var owner = _tokens.OwnerLink("swap@example.com", Later);
        foreach (var (token, read) in new (string, Func<string, object?>)[] { (unsubscribe, t => _tokens.ReadUnsubscribe(t)), (owner, t => _tokens.ReadOwnerLink(t, Now)) })
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
        var unsubscribe = _tokens.Unsubscribe(99);
        var owner = _tokens.OwnerLink("shape@example.com", Later);
        foreach (var (token, read) in new (string, Func<string?, object?>)[] { (unsubscribe, t => _tokens.ReadUnsubscribe(t)), (owner, t => _tokens.ReadOwnerLink(t, Now)) })
        {
            Assert.NotNull(read(token));
            foreach (var variant in new[] { token[..^1], token[1..], token + "A", "A" + token, token + "=", token + "==", token.Insert(4, " "), " " + token, token + "\n", "", null })
                Assert.Null(read(variant));
        }
        Assert.Null(_tokens.ReadOwnerLink(new string('A', 10_000), Now));
    }

    [Fact]
    public void A_token_of_one_kind_is_not_read_as_the_other()
    {
        var unsubscribe = _tokens.Unsubscribe(5);
        var owner = _tokens.OwnerLink("kind@example.com", Later);
        Assert.Null(_tokens.ReadOwnerLink(unsubscribe, Now));
        Assert.Null(_tokens.ReadUnsubscribe(owner));
        // Even cut to the other kind's length, or with the other kind's format byte put in front.
        var ownerBytes = Base64Url.DecodeFromChars(owner);
        var unsubscribeBytes = Base64Url.DecodeFromChars(unsubscribe);
        Assert.Null(_tokens.ReadUnsubscribe(Base64Url.EncodeToString(ownerBytes.AsSpan(0, unsubscribeBytes.Length))));
        Assert.Null(_tokens.ReadUnsubscribe(Base64Url.EncodeToString([unsubscribeBytes[0], .. ownerBytes.AsSpan(1, unsubscribeBytes.Length - 1)])));
        var padded = new byte[ownerBytes.Length];
        unsubscribeBytes.CopyTo(padded, 0);
        padded[0] = ownerBytes[0];
        Assert.Null(_tokens.ReadOwnerLink(Base64Url.EncodeToString(padded), Now));
    }

    [Fact]
    public void Another_sites_tokens_are_refused_and_differ_from_ours()
    {
        Assert.NotEqual(_tokens.Unsubscribe(12), _otherSite.Unsubscribe(12));
        Assert.Null(_tokens.ReadUnsubscribe(_otherSite.Unsubscribe(12)));
        Assert.Null(_otherSite.ReadUnsubscribe(_tokens.Unsubscribe(12)));
        Assert.Null(_tokens.ReadOwnerLink(_otherSite.OwnerLink("site@example.com", Later), Now));
        Assert.Null(_otherSite.ReadOwnerLink(_tokens.OwnerLink("site@example.com", Later), Now));
        using var sameSecret = new CompactLinkTokens(SameKey);
        using var sameSecretAgain = new CompactLinkTokens(SameKey);
        Assert.Equal(33, sameSecretAgain.ReadUnsubscribe(sameSecret.Unsubscribe(33)));
        Assert.Equal("node@example.com", sameSecretAgain.ReadOwnerLink(sameSecret.OwnerLink("node@example.com", Later), Now));
    }

    [Fact]
    public async Task Eight_threads_minting_at_once_get_tokens_that_read_back_and_never_repeat()
    {
        var minted = await Task.WhenAll(Enumerable.Range(0, 8).Select(t => Task.Run(() =>
            Enumerable.Range(0, 2_000).Select(i => (Id: t * 10_000L + i, Email: $"t{t}.{i}@example.com")).Select(r =>
                (r.Id, r.Email, Unsubscribe: _tokens.Unsubscribe(r.Id), Owner: _tokens.OwnerLink(r.Email, Later))).ToList())));
        var all = minted.SelectMany(m => m).ToList();
        Assert.All(all, r =>
        {
            Assert.Equal(r.Id, _tokens.ReadUnsubscribe(r.Unsubscribe));
            Assert.Equal(r.Email, _tokens.ReadOwnerLink(r.Owner, Now));
        });
        Assert.Equal(all.Count, all.Select(r => r.Unsubscribe).Distinct().Count());
        // The nonces (bytes 1-12) of 16,000 owner links: a repeat would mean the random reserve was handed out twice.
        Assert.Equal(all.Count, all.Select(r => Convert.ToHexString(Base64Url.DecodeFromChars(r.Owner).AsSpan(1, 12))).Distinct().Count());
    }

    private static readonly byte[] SameKey = RandomNumberGenerator.GetBytes(32);

    private static byte[] Flipped(byte[] bytes, int bit)
    {
        var copy = (byte[])bytes.Clone();
        copy[bit / 8] ^= (byte)(1 << (bit % 8));
        return copy;
    }

    private static bool Contains(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle) >= 0;
}
