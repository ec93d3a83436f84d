namespace Broadsheet.Admin;

/// <summary>A personal API token: shown once, stored only as a hash, revocable.</summary>
public class ApiToken
{
    public int Id { get; set; }
    public int UserId { get; set; }
    public AdminUser User { get; set; } = null!;
    public required string Name { get; set; }

    /// <summary>SHA-256 of the token, hex; the token itself is never stored.</summary>
    public required string Hash { get; set; }

    /// <summary>The first characters, so the owner can tell tokens apart.</summary>
    public required string Prefix { get; set; }

    public DateTime CreatedAt { get; set; }
    public DateTime? LastUsedAt { get; set; }
    public DateTime? RevokedAt { get; set; }
}
