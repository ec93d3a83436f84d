using System.Net;
using System.Text;
using Ganss.Xss;
using Markdig;
using Markdig.Renderers;
using Markdig.Syntax;

namespace Broadsheet.Articles;

/// <summary>
/// Turns an article's Markdown into safe HTML once, at save time: raw HTML is not allowed, the output is sanitised,
/// the related links are set inline and a marker shows where the page puts the sign-up module.
/// </summary>
public static class ArticleBody
{
    /// <summary>Stands where the sign-up module goes. Sanitised content cannot contain comments, so it cannot be forged.</summary>
    public const string SignupMarker = "<!--broadsheet:signup-->";

    /// <summary>A paragraph consisting of just this places the module by hand.</summary>
    public const string SignupPlaceholder = "{{signup}}";

    /// <summary>A paragraph consisting of just this places the related links by hand.</summary>
    public const string RelatedPlaceholder = "{{related}}";

    private static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder()
        .DisableHtml().UseEmphasisExtras().UseAutoLinks().Build(); // no SmartyPants: the publisher's punctuation is shown as written

    private static readonly HtmlSanitizer Sanitizer = new();

    public static string Render(string markdown, IReadOnlyList<RelatedLink> related)
    {
        var document = Markdown.Parse(markdown, Pipeline);
        var blocks = document.ToList();
        var paragraphs = blocks.Count(b => b is ParagraphBlock && Placeholder(b) is null);
        var signupAfter = blocks.Any(b => Placeholder(b) == SignupPlaceholder) ? -1 : (paragraphs + 1) / 2;
        var relatedAfter = blocks.Any(b => Placeholder(b) == RelatedPlaceholder) ? -1 : Math.Max(1, signupAfter - 1);

        var html = new StringBuilder();
        var seen = 0;
        var placedSignup = false;
        foreach (var block in blocks)
        {
            switch (Placeholder(block))
            {
                case SignupPlaceholder when !placedSignup:
                    html.Append(SignupMarker);
                    placedSignup = true;
                    continue;
                case RelatedPlaceholder:
                    html.Append(RelatedHtml(related));
                    continue;
                case not null:
                    continue;
            }
            html.Append(Sanitizer.Sanitize(RenderBlock(block)));
            if (block is not ParagraphBlock) continue;
            seen++;
            if (seen == relatedAfter) html.Append(RelatedHtml(related));
            if (seen == signupAfter && !placedSignup)
            {
                html.Append(SignupMarker);
                placedSignup = true;
            }
        }
        if (paragraphs == 0 && relatedAfter > 0) html.Append(RelatedHtml(related));
        if (!placedSignup) html.Append(SignupMarker);
        return html.ToString();
    }

    /// <summary>Safe HTML of a short piece of Markdown with no module or related links (e.g. an edition's intro).</summary>
    public static string RenderFragment(string markdown) =>
        string.IsNullOrWhiteSpace(markdown) ? "" : Sanitizer.Sanitize(Markdown.ToHtml(markdown, Pipeline));

    private static string? Placeholder(Block block) =>
        block is ParagraphBlock { Inline: { } inline } && inline.FirstChild == inline.LastChild
        && inline.FirstChild?.ToString()?.Trim() is SignupPlaceholder or RelatedPlaceholder
            ? inline.FirstChild!.ToString()!.Trim()
            : null;

    private static string RenderBlock(Block block)
    {
        using var writer = new StringWriter();
        var renderer = new HtmlRenderer(writer);
        Pipeline.Setup(renderer);
        renderer.Render(block);
        writer.Flush();
        return writer.ToString();
    }

    private static string RelatedHtml(IReadOnlyList<RelatedLink> related)
    {
        if (related.Count == 0) return "";
        var items = related.Select(r =>
            $"<span class=\"related-link\"><span aria-hidden=\"true\">&gt;&gt;\u00A0</span><a href=\"{WebUtility.HtmlEncode(r.Url)}\">{WebUtility.HtmlEncode(r.Headline)}</a>\u00A0| <span class=\"related-section\">{WebUtility.HtmlEncode(r.Section)}</span></span>");
        // Built from encoded values and URLs the API has already limited to http(s) or site paths; no sanitising needed.
        return $"<p class=\"related\">{string.Join(" <span aria-hidden=\"true\">■</span>\u00A0", items)}</p>";
    }
}
