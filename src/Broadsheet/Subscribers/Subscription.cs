using Broadsheet.Newsletters;

namespace Broadsheet.Subscribers;

/// <summary>A subscriber's membership of one newsletter.</summary>
public class Subscription
{
    public long Id { get; set; }
    public long SubscriberId { get; set; }
    public Subscriber Subscriber { get; set; } = null!;
    public int NewsletterId { get; set; }
    public Newsletter Newsletter { get; set; } = null!;
    public SubscriptionStatus Status { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? ConfirmedAt { get; set; }
    public DateTime? UnsubscribedAt { get; set; }

    /// <summary>When the last confirmation email was queued; re-sends are spaced by this.</summary>
    public DateTime? ConfirmationSentAt { get; set; }

    /// <summary>When the last "you are already subscribed" email was queued.</summary>
    public DateTime? ExistingNoticeSentAt { get; set; }

    /// <summary>The consent record of the current opt-in; a confirmation token must name it.</summary>
    public long? CurrentConsentId { get; set; }
}

/// <summary>Where a subscription stands in the double opt-in life cycle.</summary>
public enum SubscriptionStatus { Pending, Active, Unsubscribed }
