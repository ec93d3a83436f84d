namespace Broadsheet.Editions;

/// <summary>A Liquid template for editions (HTML and plain text), editable in the console; newsletters pick one.</summary>
public class EditionTemplate
{
    public int Id { get; set; }
    public required string Name { get; set; }
    public required string HtmlSource { get; set; }
    public required string TextSource { get; set; }
    public string UpdatedBy { get; set; } = "";
    public DateTime UpdatedAt { get; set; }
}
