using System.Security.Claims;

namespace Broadsheet.Admin;

/// <summary>Authorization policies by role; each higher role includes the lower ones.</summary>
public static class Policies
{
    public const string Viewer = "viewer";
    public const string Editor = "editor";
    public const string Owner = "owner";

    public static void Add(Microsoft.AspNetCore.Authorization.AuthorizationBuilder builder)
    {
        builder.AddPolicy(Viewer, p => p.AddAuthenticationSchemes(ConsoleAuth.Schemes).RequireRole(nameof(AdminRole.Viewer), nameof(AdminRole.Editor), nameof(AdminRole.Owner)));
        builder.AddPolicy(Editor, p => p.AddAuthenticationSchemes(ConsoleAuth.Schemes).RequireRole(nameof(AdminRole.Editor), nameof(AdminRole.Owner)));
        builder.AddPolicy(Owner, p => p.AddAuthenticationSchemes(ConsoleAuth.Schemes).RequireRole(nameof(AdminRole.Owner)));
    }

    /// <summary>Editors and owners may change content; viewers only read.</summary>
    public static bool CanEdit(ClaimsPrincipal user) => user.IsInRole(nameof(AdminRole.Editor)) || user.IsInRole(nameof(AdminRole.Owner));

    /// <summary>The name recorded in the audit log for whoever is signed in.</summary>
    public static string Actor(ClaimsPrincipal user) => user.Identity?.Name ?? "anonymous";

    public static int? UserId(ClaimsPrincipal user) =>
        int.TryParse(user.FindFirstValue(ClaimTypes.NameIdentifier), out var id) ? id : null;
}
