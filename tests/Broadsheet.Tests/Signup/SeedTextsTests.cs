using Broadsheet.Signup;
using Broadsheet.Tests.Infrastructure;

namespace Broadsheet.Tests.Signup;

/// <summary>The module's default words are the seed's, character for character.</summary>
public sealed class SeedTextsTests
{
    [Fact]
    public void Default_texts_are_the_seed_lines_in_order()
    {
        var seed = SeedArticle.Parse(TestEnvironment.SeedText);
        var t = new SignupTexts();
        string[] ours =
        [
            t.Heading, t.EmailLabel, t.InvalidEmail, t.Submit, t.Wait, t.SuccessTitle, t.SuccessMore, t.SuccessLink,
            t.FailureTitle, t.FailureMore, t.FailureRetry, t.ExistingTitle, t.ExistingMore, t.ExistingClose,
        ];
        Assert.Equal(seed.ModuleLines, ours);
        Assert.Contains("…", t.Wait);
        Assert.Contains("’", t.SuccessMore);
    }

    [Fact]
    public void Seed_parses_into_headline_paragraphs_and_two_related_links()
    {
        var seed = SeedArticle.Parse(TestEnvironment.SeedText);
        Assert.False(string.IsNullOrWhiteSpace(seed.Headline));
        Assert.True(seed.Paragraphs.Count >= 4);
        Assert.Equal(["Analysis", "Opinion"], seed.Related.Select(r => r.Section));
    }
}
