namespace Broadsheet.Newsletters;

/// <summary>A list readers can subscribe to, such as a morning briefing.</summary>
public class Newsletter
{
    public int Id { get; set; }
    public required string Slug { get; set; }
    public required string Name { get; set; }
    public string Description { get; set; } = "";

    /// <summary>New subscriptions start pending and need a confirmation click when true.</summary>
    public bool DoubleOptIn { get; set; } = true;

    public bool IsPublic { get; set; } = true;
    public bool IsArchived { get; set; }

    /// <summary>Sender shown in the From header of editions; empty means <c>Mail:From</c>.</summary>
    public string SenderName { get; set; } = "";
    public string SenderEmail { get; set; } = "";
    public string ReplyTo { get; set; } = "";

    /// <summary>Slugs of newsletters to suggest after someone signs up to this one.</summary>
    public List<string> Suggested { get; set; } = [];
    public int SortOrder { get; set; }
    public DateTime CreatedAt { get; set; }
}
