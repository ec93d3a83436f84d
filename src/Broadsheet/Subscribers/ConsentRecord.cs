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
    /// Unique and unguessable: the confirmation link names the opt-in by it, so the link can be made before the row has
    /// an id. Null where no link is ever sent (imports). See <see cref="NewNonce"/>.
    /// </summary>
    public string? Nonce { get; set; } = NewNonce();
    public int NewsletterId { get; set; }

    /// <summary>
    /// A new nonce: a version 7 GUID, 74 random bits after the time. Time first, so each new one goes at the end of
    /// the unique index on nonces: with a random nonce every sign-up wrote a page of that index somewhere in the
    /// middle (on SQLite a whole page into the log and its sync, under the single write lock). The link carries it
    /// only inside a sealed token, so its time part tells a reader nothing they could not see on the email itself.
    /// </summary>
    public static string NewNonce() => Guid.CreateVersion7().ToString("N");

    /// <summary>The exact words shown beside the form, e.g. the module's heading and button.</summary>
    public required string Wording { get; set; }

    public string? SourceUrl { get; set; }

    /// <summary>Null when <c>Signup:RecordIp</c> is off.</summary>
    public string? IpAddress { get; set; }

    public DateTime GivenAt { get; set; }
    public DateTime? ConfirmedAt { get; set; }
    public DateTime? WithdrawnAt { get; set; }
}
