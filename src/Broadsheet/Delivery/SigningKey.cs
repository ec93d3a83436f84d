namespace Broadsheet.Delivery;

/// <summary>A DKIM key generated in the console and stored for signing; the active one for a sender's domain signs.</summary>
public class SigningKey
{
    public int Id { get; set; }
    public required string Domain { get; set; }
    public required string Selector { get; set; }
    public required string PrivateKeyPem { get; set; }
    public bool IsActive { get; set; } = true;
    public DateTime CreatedAt { get; set; }
    public string CreatedBy { get; set; } = "";

    public DkimKey ToDkimKey() => new(Domain, Selector, PrivateKeyPem);
}
