using Broadsheet.Data;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace Broadsheet.Admin;

/// <summary>Owners manage console users: add (password shown once), change role, unlock, remove.</summary>
[Authorize(Policy = Policies.Owner, AuthenticationSchemes = ConsoleAuth.CookieScheme)]
public sealed class UsersPageModel(BroadsheetDb db, UserAccounts accounts) : PageModel
{
    public List<AdminUser> Users { get; private set; } = [];
    public string? Message { get; private set; }
    public string? Error { get; private set; }
    public string? NewPassword { get; private set; }

    public async Task OnGetAsync(CancellationToken ct) => await LoadAsync(ct);

    public async Task OnPostAddAsync(string? email, AdminRole role, CancellationToken ct)
    {
        try
        {
            var (user, password) = await accounts.CreateAsync(email ?? "", role, null, Policies.Actor(User), ct);
            Message = $"{user.Email} added as {user.Role}. Their password is below; it is shown only once.";
            NewPassword = password;
        }
        catch (ArgumentException ex) { Error = ex.Message; }
        await LoadAsync(ct);
    }

    public async Task OnPostRoleAsync(int id, AdminRole role, CancellationToken ct)
    {
        var user = await db.AdminUsers.FirstOrDefaultAsync(u => u.Id == id, ct);
        if (user is not null && await KeepsAnOwnerAsync(user, role, ct))
        {
            user.Role = role;
            AuditLog.Record(db, User, "user.role", user.Email, $"role={role}");
            await db.SaveChangesAsync(ct);
            Message = $"{user.Email} is now {role}.";
        }
        await LoadAsync(ct);
    }

    public async Task OnPostUnlockAsync(int id, CancellationToken ct)
    {
        var user = await db.AdminUsers.FirstOrDefaultAsync(u => u.Id == id, ct);
        if (user is not null)
        {
            user.LockedUntil = null;
            user.FailedSignIns = 0;
            AuditLog.Record(db, User, "user.unlock", user.Email);
            await db.SaveChangesAsync(ct);
            Message = $"{user.Email} unlocked.";
        }
        await LoadAsync(ct);
    }

    public async Task OnPostDeleteAsync(int id, CancellationToken ct)
    {
        var user = await db.AdminUsers.FirstOrDefaultAsync(u => u.Id == id, ct);
        if (user is not null && await KeepsAnOwnerAsync(user, null, ct))
        {
            db.AdminUsers.Remove(user);
            AuditLog.Record(db, User, "user.delete", user.Email);
            await db.SaveChangesAsync(ct);
            Message = $"{user.Email} removed.";
        }
        await LoadAsync(ct);
    }

    /// <summary>Refuses to demote or remove the last owner: nobody could manage users afterwards.</summary>
    private async Task<bool> KeepsAnOwnerAsync(AdminUser user, AdminRole? newRole, CancellationToken ct)
    {
        if (user.Role != AdminRole.Owner || newRole == AdminRole.Owner) return true;
        if (await db.AdminUsers.CountAsync(u => u.Role == AdminRole.Owner, ct) > 1) return true;
        Error = "There must always be at least one owner.";
        return false;
    }

    private async Task LoadAsync(CancellationToken ct) =>
        Users = await db.AdminUsers.AsNoTracking().OrderBy(u => u.Email).ToListAsync(ct);
}
