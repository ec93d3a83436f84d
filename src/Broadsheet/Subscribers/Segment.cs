namespace Broadsheet.Subscribers;

/// <summary>A saved <see cref="SubscriberFilter"/>, later usable as the audience of an edition.</summary>
public class Segment
{
    public int Id { get; set; }
    public required string Name { get; set; }
    public required string Filter { get; set; }
    public required string CreatedBy { get; set; }
    public DateTime CreatedAt { get; set; }
}
