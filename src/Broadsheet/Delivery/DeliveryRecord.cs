namespace Broadsheet.Delivery;

/// <summary>
/// One recipient of one edition: written before anything is sent, so a crash loses nobody, and updated with the
/// outcome (sent, or failed with the relay's reply).
/// </summary>
public class DeliveryRecord
{
    public long Id { get; set; }
    public long EditionId { get; set; }
    public long SubscriberId { get; set; }
    public long SubscriptionId { get; set; }

    /// <summary>The address when the record was written; the send re-reads the subscriber before mailing.</summary>
    public required string Email { get; set; }

    public DeliveryStatus Status { get; set; } = DeliveryStatus.Queued;
    public int Attempts { get; set; }
    public DateTime NextAttemptAt { get; set; }

    /// <summary>A sender holds the record until this time; after a crash the claim runs out and it is sent again.</summary>
    public DateTime? ClaimedUntil { get; set; }

    /// <summary>The relay's last reply or the error, e.g. "550 5.1.1 no such user".</summary>
    public string? LastReply { get; set; }

    public DateTime? SentAt { get; set; }
}

/// <summary>What happened to one recipient: waiting, delivered to the relay, refused for good, or left out (unsubscribed or suppressed meanwhile).</summary>
public enum DeliveryStatus { Queued, Sent, Failed, Skipped }
