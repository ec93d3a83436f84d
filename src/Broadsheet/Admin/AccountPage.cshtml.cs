using Broadsheet.Data;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace Broadsheet.Admin;

/// <summary>The signed-in user's own account: password and personal API tokens.</summary>
[Authorize(Policy = Policies.Viewer, AuthenticationSchemes = ConsoleAuth.CookieScheme)]
public sealed class AccountPageModel(BroadsheetDb db, UserAccounts accounts) : PageModel
{
    public List<ApiToken> Tokens { get; private set; } = [];
    public string? NewToken { get; private set; }
    public string? Message { get; private set; }
    public string? Error { get; private set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken ct) => await ShowAsync(ct);

    public async Task<IActionResult> OnPostPasswordAsync(string? current, string? password, string? confirm, CancellationToken ct)
    {
        var user = await CurrentUserAsync(ct);
        if (user is null) return Challenge();
        if (string.IsNullOrEmpty(current) || !UserAccounts.VerifyPassword(user, current)) Error = "The current password is wrong.";
        else if (password != confirm) Error = "The new passwords differ.";
        else
        {
            try
            {
                await accounts.ChangePasswordAsync(user, password ?? "", Policies.Actor(User), ct);
                // Every other session carries the old security stamp and is now rejected; this one gets the new stamp.
                await HttpContext.SignInAsync(ConsoleAuth.CookieScheme, ConsoleAuth.Principal(user));
                Message = "Password changed. You have been signed out everywhere else.";
            }
            catch (ArgumentException ex) { Error = ex.Message; }
        }
        return await ShowAsync(ct);
    }

    public async Task<IActionResult> OnPostCreateTokenAsync(string? name, CancellationToken ct)
    {
        var user = await CurrentUserAsync(ct);
        if (user is null) return Challenge();
        name = (name ?? "").Trim();
        if (name.Length is 0 or > 100) { Error = "Give the token a name of up to 100 characters."; return await ShowAsync(ct); }
        var token = ApiTokens.Generate();
        db.ApiTokens.Add(new ApiToken { UserId = user.Id, Name = name, Hash = ApiTokens.Hash(token), Prefix = token[..10], CreatedAt = DateTime.UtcNow });
        AuditLog.Record(db, User, "token.create", name);
        await db.SaveChangesAsync(ct);
        NewToken = token;
        return await ShowAsync(ct);
    }

    public async Task<IActionResult> OnPostRevokeTokenAsync(int id, CancellationToken ct)
    {
        var userId = Policies.UserId(User);
        var token = await db.ApiTokens.FirstOrDefaultAsync(t => t.Id == id && t.UserId == userId && t.RevokedAt == null, ct);
        if (token is not null)
        {
            token.RevokedAt = DateTime.UtcNow;
            AuditLog.Record(db, User, "token.revoke", token.Name);
            await db.SaveChangesAsync(ct);
            Message = $"Token “{token.Name}” revoked.";
        }
        return await ShowAsync(ct);
    }

    private Task<AdminUser?> CurrentUserAsync(CancellationToken ct)
    {
        var id = Policies.UserId(User);
        return db.AdminUsers.FirstOrDefaultAsync(u => u.Id == id, ct);
    }

    private async Task<IActionResult> ShowAsync(CancellationToken ct)
    {
        var id = Policies.UserId(User);
        Tokens = await db.ApiTokens.AsNoTracking().Where(t => t.UserId == id).OrderByDescending(t => t.CreatedAt).ToListAsync(ct);
        return Page();
    }
}
