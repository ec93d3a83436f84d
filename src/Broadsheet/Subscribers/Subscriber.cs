namespace Broadsheet.Subscribers;

/// <summary>One email address known to the site, whatever it subscribes to.</summary>
public class Subscriber
{
    public long Id { get; set; }

    /// <summary>The address as normalised by <see cref="Signup.EmailAddressRule"/> (domain lowercased, punycode).</summary>
    public required string Email { get; set; }

    /// <summary>Lower-cased <see cref="Email"/>; unique, so addresses differing only in case are one subscriber.</summary>
    public required string NormalizedEmail { get; set; }

    public string? Name { get; set; }

    /// <summary>Free-form attributes as a JSON object (jsonb on PostgreSQL), e.g. columns of an import.</summary>
    public string Attributes { get; set; } = "{}";

    public SubscriberStatus Status { get; set; } = SubscriberStatus.Active;
    public string? Source { get; set; }

    /// <summary>Section of the article the reader signed up from (e.g. Analysis), when it was an article page.</summary>
    public string? SourceSection { get; set; }
    public DateTime CreatedAt { get; set; }
    public List<Subscription> Subscriptions { get; set; } = [];
}

/// <summary>Whether an address may be mailed at all.</summary>
public enum SubscriberStatus { Active, Unsubscribed, Suppressed }
