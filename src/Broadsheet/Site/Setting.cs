namespace Broadsheet.Site;

/// <summary>A site-wide value kept in the database so that every node sees the same one (e.g. generated keys).</summary>
public class Setting
{
    public required string Key { get; set; }
    public required string Value { get; set; }
}
