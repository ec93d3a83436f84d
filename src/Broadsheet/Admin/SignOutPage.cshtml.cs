using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Broadsheet.Admin;

/// <summary>Ends the console session (POST only, with the anti-forgery token).</summary>
[AllowAnonymous]
public sealed class SignOutPageModel : PageModel
{
    public IActionResult OnGet() => Redirect("/admin");

    public async Task<IActionResult> OnPostAsync()
    {
        await HttpContext.SignOutAsync(ConsoleAuth.CookieScheme);
        return Redirect("/admin/signin");
    }
}
