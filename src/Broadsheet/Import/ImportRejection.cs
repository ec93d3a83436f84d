namespace Broadsheet.Import;

/// <summary>A row an import refused, with its line number and why; committed with its batch, so the report is exact after a resume.</summary>
public class ImportRejection
{
    public long Id { get; set; }
    public long JobId { get; set; }
    public long Line { get; set; }
    public string? Value { get; set; }
    public required string Reason { get; set; }
}
