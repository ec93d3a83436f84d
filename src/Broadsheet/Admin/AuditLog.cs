using System.Security.Claims;
using Broadsheet.Data;

namespace Broadsheet.Admin;

/// <summary>Adds audit entries to the caller's unit of work, so an action and its record commit together.</summary>
public static class AuditLog
{
    public static void Record(BroadsheetDb db, ClaimsPrincipal user, string action, string? target = null, string? details = null) =>
        Record(db, Policies.Actor(user), action, target, details);

    public static void Record(BroadsheetDb db, string actor, string action, string? target = null, string? details = null) =>
        db.AuditEntries.Add(new AuditEntry
        {
            At = DateTime.UtcNow,
            Actor = actor,
            Action = action,
            Target = target is { Length: > 500 } ? target[..500] : target,
            Details = details is { Length: > 4000 } ? details[..4000] : details,
        });
}
