namespace Broadsheet.Jobs;

/// <summary>
/// A long-running piece of work (bulk action, import) whose progress lives in the database: a worker holds a lease,
/// commits each batch together with <see cref="Cursor"/>, and after a crash another round resumes from there.
/// </summary>
public class Job
{
    public long Id { get; set; }
    public JobKind Kind { get; set; }
    public JobStatus Status { get; set; } = JobStatus.Queued;

    /// <summary>What to do, as JSON (a filter and an argument, or an import's settings).</summary>
    public string Parameters { get; set; } = "{}";

    public long Total { get; set; }
    public long Processed { get; set; }
    public long Failed { get; set; }

    /// <summary>Where to resume: the last subscriber id (bulk) or the last file line (import) fully committed.</summary>
    public long Cursor { get; set; }

    /// <summary>For bulk actions: the highest subscriber id when queued; people who arrive later are not touched.</summary>
    public long UpToId { get; set; }

    public bool CancelRequested { get; set; }
    public DateTime? LeaseUntil { get; set; }
    public string? Error { get; set; }

    /// <summary>Short human description, e.g. "Unsubscribe 1,204 subscribers".</summary>
    public string Title { get; set; } = "";
    public required string CreatedBy { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? StartedAt { get; set; }
    public DateTime? FinishedAt { get; set; }
}

/// <summary>The kinds of background job.</summary>
public enum JobKind { AddToNewsletter, Unsubscribe, Delete, Import }

/// <summary>Where a job stands.</summary>
public enum JobStatus { Queued, Running, Done, Failed, Cancelled }
