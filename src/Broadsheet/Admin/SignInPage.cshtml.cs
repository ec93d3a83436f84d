using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Broadsheet.Admin;

/// <summary>Console sign-in with lockout after repeated failures.</summary>
[AllowAnonymous]
public sealed class SignInPageModel(UserAccounts accounts) : PageModel
{
    [BindProperty] public string? Email { get; set; }
    [BindProperty] public string? Password { get; set; }
    [BindProperty(SupportsGet = true)] public string? ReturnUrl { get; set; }
    public string? Error { get; private set; }

    public void OnGet() { }

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        var (result, user) = await accounts.SignInAsync(Email, Password, ct);
        switch (result)
        {
            case UserAccounts.SignInResult.Success:
                await HttpContext.SignInAsync(ConsoleAuth.CookieScheme, ConsoleAuth.Principal(user!));
                return LocalRedirect(Url.IsLocalUrl(ReturnUrl) && ReturnUrl!.StartsWith("/admin") ? ReturnUrl : "/admin");
            case UserAccounts.SignInResult.LockedOut:
                Error = $"Too many failed attempts. This account is locked for {UserAccounts.LockoutDuration.TotalMinutes:0} minutes.";
                break;
            default:
                Error = "Wrong email or password.";
                break;
        }
        Password = null;
        return Page();
    }
}
