namespace Broadsheet.Mail;

/// <summary>A transactional message waiting in (or done with) the durable mail queue.</summary>
public class OutboundEmail
{
    public long Id { get; set; }
    public required string Kind { get; set; }
    public required string ToAddress { get; set; }

    /// <summary>
    /// The subscriber the message is about, also after their address changed: their page, the data export and
    /// erasure find mail by this. Null only for mail that names nobody (or was queued by an older version), which is
    /// found by <see cref="ToAddress"/>.
    /// </summary>
    public long? SubscriberId { get; set; }
    public required string Subject { get; set; }

    /// <summary>
    /// The bodies of a message rendered elsewhere (an edition's test send); empty for one made from the site's
    /// templates, which keeps <see cref="TemplateValues"/> instead. Emptied once the message is sent: they are needed
    /// only to send it (and again while it waits for a retry, or after it failed), and a body may hold a live link.
    /// </summary>
    public required string HtmlBody { get; set; }

    /// <summary>As <see cref="HtmlBody"/>.</summary>
    public required string TextBody { get; set; }

    /// <summary>
    /// For a message made from the site's templates (<see cref="Kind"/> names them), the values it was rendered with
    /// (a JSON object of strings): it is rendered again from them when it is sent from the table. Its bodies are not
    /// stored: writing them with each sign-up and emptying them when marked sent was about an eighth of PostgreSQL's CPU
    /// per sign-up (210 against 184 µs in an A/B, 2026-11-27). Emptied once sent, as the bodies are (a confirmation's
    /// link is among the values).
    /// </summary>
    public string? TemplateValues { get; set; }

    /// <summary>
    /// The message as rendered when it was queued, kept in memory only: mail handed to this node's worker
    /// (<see cref="MailHandoff"/>) is sent from it without rendering again. Not stored.
    /// </summary>
    public RenderedEmail? Rendered { get; set; }

    /// <summary>Fixed when queued so that a retried message keeps its identity.</summary>
    public required string MessageId { get; set; }

    public OutboundEmailStatus Status { get; set; } = OutboundEmailStatus.Queued;
    public int Attempts { get; set; }
    public DateTime NextAttemptAt { get; set; }

    /// <summary>A worker that claims the message holds it until then; a crashed worker's claim simply runs out.</summary>
    public DateTime? ClaimedUntil { get; set; }

    /// <summary>
    /// Set by a worker's batch claim together with <see cref="ClaimedUntil"/>, so it can read back exactly its batch;
    /// null for mail handed to the worker in memory when it was queued (<see cref="MailHandoff"/>).
    /// </summary>
    public Guid? ClaimToken { get; set; }

    public string? LastError { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? SentAt { get; set; }
}

/// <summary>Queue state of an <see cref="OutboundEmail"/>.</summary>
public enum OutboundEmailStatus { Queued, Sent, Failed }
