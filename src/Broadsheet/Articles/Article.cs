namespace Broadsheet.Articles;

/// <summary>A published piece of journalism: headline, section, Markdown body and related links.</summary>
public class Article
{
    public int Id { get; set; }
    public required string Slug { get; set; }
    public required string Headline { get; set; }
    public required string Section { get; set; }
    public required string BodyMarkdown { get; set; }

    /// <summary>One or two sentences under the headline; digests show it (or else the first paragraph).</summary>
    public string Standfirst { get; set; } = "";

    /// <summary>Sanitised HTML rendered at save time, with <see cref="ArticleBody.SignupMarker"/> where the sign-up module goes.</summary>
    public required string BodyHtml { get; set; }

    public List<RelatedLink> Related { get; set; } = [];
    public DateTime PublishedAt { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
}

/// <summary>A link to another story, shown inline with its section label as in "headline | Analysis".</summary>
public class RelatedLink
{
    public required string Headline { get; set; }
    public required string Section { get; set; }
    public required string Url { get; set; }
}
