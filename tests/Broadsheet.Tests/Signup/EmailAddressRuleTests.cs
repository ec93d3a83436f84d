using Broadsheet.Signup;

namespace Broadsheet.Tests.Signup;

/// <summary>The server's address rule against every row of email-addresses.tsv.</summary>
public sealed class EmailAddressRuleTests
{
    public static TheoryData<int> Lines => EmailAddressTable.Lines;

    [Theory]
    [MemberData(nameof(Lines))]
    public void Normalises_or_refuses_as_the_table_says(int line)
    {
        var row = EmailAddressTable.At(line);
        var valid = EmailAddressRule.TryNormalize(row.Input, out var normalized);
        Assert.Equal(row.Expected, valid ? normalized : null);
        if (!valid) Assert.Equal("", normalized);
    }

    [Fact]
    public void Table_is_large_and_has_both_outcomes()
    {
        Assert.True(EmailAddressTable.Cases.Count >= 150, $"only {EmailAddressTable.Cases.Count} rows");
        Assert.True(EmailAddressTable.Cases.Count(c => c.Expected is null) >= 50);
        Assert.True(EmailAddressTable.Cases.Count(c => c.Expected is not null) >= 50);
    }

    [Fact]
    public void Null_is_invalid() => Assert.False(EmailAddressRule.TryNormalize(null, out _));
}
