namespace Broadsheet.Subscribers;

/// <summary>Evidence of one opt-in: what the reader saw, where, when, and when it was confirmed or withdrawn.</summary>
public class ConsentRecord
{
    public long Id { get; set; }
    public long SubscriptionId { get; set; }
    public Subscription Subscription { get; set; } = null!;
    public long SubscriberId { get; set; }
    public Subscriber Subscriber { get; set; } = null!;

    /// <summary>
    /// Random and unique: the confirmation link names the opt-in by it, so the link can be made before the row has
    /// an id. Null where no link is ever sent (imports), which keeps bulk inserts off a randomly ordered index.
    /// </summary>
    public string? Nonce { get; set; } = Guid.NewGuid().ToString("N");
    public int NewsletterId { get; set; }

    /// <summary>The exact words shown beside the form, e.g. the module's heading and button.</summary>
    public required string Wording { get; set; }

    public string? SourceUrl { get; set; }

    /// <summary>Null when <c>Signup:RecordIp</c> is off.</summary>
    public string? IpAddress { get; set; }

    public DateTime GivenAt { get; set; }
    public DateTime? ConfirmedAt { get; set; }
    public DateTime? WithdrawnAt { get; set; }
}
