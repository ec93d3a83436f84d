using Broadsheet.Subscribers;

namespace Broadsheet.Tests.Subscribers;

/// <summary>Consent nonces name an opt-in in its confirmation link: unique, unguessable, and in the order they were made.</summary>
public sealed class ConsentNonceTests
{
    [Fact]
    public void Nonces_are_distinct_hex_and_later_ones_sort_after_earlier_ones()
    {
        var nonces = Enumerable.Range(0, 10_000).Select(_ => ConsentRecord.NewNonce()).ToList();
        Assert.All(nonces, n => Assert.Matches("^[0-9a-f]{32}$", n));
        Assert.Equal(nonces.Count, nonces.Distinct().Count());

        var earlier = ConsentRecord.NewNonce();
        Thread.Sleep(5); // order is by the millisecond; within one the rest is random
        var later = ConsentRecord.NewNonce();
        Assert.True(string.CompareOrdinal(earlier, later) < 0, $"{later} does not sort after {earlier}");
    }
}
