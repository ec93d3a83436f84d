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

    /// <summary>The edition template; null means the built-in one.</summary>
    public int? TemplateId { get; set; }

    /// <summary>When true, a digest is built and sent by itself at <see cref="ScheduleTime"/> on <see cref="ScheduleDays"/>.</summary>
    public bool ScheduleEnabled { get; set; }

    /// <summary>Days of the week as three-letter names, e.g. "Mon,Tue,Wed,Thu,Fri".</summary>
    public string ScheduleDays { get; set; } = "";

    /// <summary>Local time of day as HH:mm in <see cref="ScheduleTimeZone"/>.</summary>
    public string ScheduleTime { get; set; } = "";

    /// <summary>IANA time zone, e.g. Europe/London.</summary>
    public string ScheduleTimeZone { get; set; } = "UTC";

    /// <summary>The next scheduled run in UTC; a node claims it by moving it on, so a run happens once.</summary>
    public DateTime? NextScheduledRunAt { get; set; }
    public DateTime CreatedAt { get; set; }
}
