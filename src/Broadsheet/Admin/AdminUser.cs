namespace Broadsheet.Admin;

/// <summary>A person who signs in to the console.</summary>
public class AdminUser
{
    public int Id { get; set; }
    public required string Email { get; set; }

    /// <summary>Lower-cased <see cref="Email"/>, unique.</summary>
    public required string NormalizedEmail { get; set; }

    public string PasswordHash { get; set; } = "";
    public AdminRole Role { get; set; } = AdminRole.Viewer;

    /// <summary>Changes whenever credentials change; a session cookie carrying an older stamp is rejected.</summary>
    public string SecurityStamp { get; set; } = Guid.NewGuid().ToString("N");

    public int FailedSignIns { get; set; }
    public DateTime? LockedUntil { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? LastSignInAt { get; set; }
}

/// <summary>What a console user may do: owners everything, editors content, viewers only read.</summary>
public enum AdminRole { Viewer, Editor, Owner }
