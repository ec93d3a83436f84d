namespace Broadsheet.Subscribers;

/// <summary>
/// An address that must never be mailed or re-imported. Only a keyed hash of the address is kept, so an erased
/// reader's address is not stored in clear.
/// </summary>
public class Suppression
{
    public long Id { get; set; }

    /// <summary>HMAC-SHA256 of the lower-cased address under the site's suppression key, hex.</summary>
    public required string AddressHash { get; set; }

    public SuppressionReason Reason { get; set; }
    public string? Note { get; set; }
    public DateTime CreatedAt { get; set; }
}

/// <summary>Why an address is suppressed.</summary>
public enum SuppressionReason { HardBounce, Complaint, Manual, Erased }
