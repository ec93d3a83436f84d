using Broadsheet.Newsletters;

namespace Broadsheet.Editions;

/// <summary>One issue of a newsletter: its words, its articles, its audience, and where its send stands.</summary>
public class Edition
{
    public long Id { get; set; }
    public int NewsletterId { get; set; }
    public Newsletter Newsletter { get; set; } = null!;

    public required string Subject { get; set; }

    /// <summary>The line mail clients show after the subject; hidden in the message body.</summary>
    public string Preheader { get; set; } = "";

    public string IntroMarkdown { get; set; } = "";

    /// <summary>Sanitised HTML of <see cref="IntroMarkdown"/>, rendered when saved.</summary>
    public string IntroHtml { get; set; } = "";

    /// <summary>The articles in the order they appear; for a digest, those published in its window.</summary>
    public List<int> ArticleIds { get; set; } = [];

    /// <summary>True when the articles were chosen automatically (everything new since the last edition).</summary>
    public bool IsDigest { get; set; }

    /// <summary>For a digest: articles published after this and up to <see cref="DigestUntil"/> are in it.</summary>
    public DateTime? DigestSince { get; set; }
    public DateTime? DigestUntil { get; set; }

    /// <summary>Narrows the audience (the newsletter's active subscribers) to a saved filter.</summary>
    public int? SegmentId { get; set; }

    public EditionStatus Status { get; set; } = EditionStatus.Draft;

    /// <summary>When a scheduled edition starts sending by itself.</summary>
    public DateTime? ScheduledAt { get; set; }

    /// <summary>When sending began: only subscriptions active by then are in the audience.</summary>
    public DateTime? StartedAt { get; set; }
    public DateTime? FinishedAt { get; set; }

    /// <summary>Why a send stopped by itself (e.g. every relay unreachable); empty when an editor paused it.</summary>
    public string? PausedReason { get; set; }

    /// <summary>Subscriber id up to which recipients have been written as delivery records (keyset cursor).</summary>
    public long AudienceCursor { get; set; }

    /// <summary>True once every recipient of the audience has a delivery record.</summary>
    public bool AudienceComplete { get; set; }

    /// <summary>Recipients counted when the send started, for progress before every record exists.</summary>
    public long AudienceSize { get; set; }

    /// <summary>Node holding the audience-writing lease, and until when (another node takes over after it).</summary>
    public string? LeaseOwner { get; set; }
    public DateTime? LeaseUntil { get; set; }

    public required string CreatedBy { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
}

/// <summary>Where an edition stands: written, waiting for its time, going out, held, stopped for good, or done.</summary>
public enum EditionStatus { Draft, Scheduled, Sending, Paused, Cancelled, Sent }
