using System.Security.Claims;
using Broadsheet.Data;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.EntityFrameworkCore;

namespace Broadsheet.Admin;

/// <summary>Sign-in for the console (a cookie) and for the API (bearer tokens), and the role policies over both.</summary>
public static class ConsoleAuth
{
    public const string CookieScheme = "Console";
    public const string StampClaim = "broadsheet:stamp";

    /// <summary>
    /// Picks the scheme by path: the JSON API accepts only bearer tokens (so a signed-in browser cannot be made to
    /// call it from another site), the console only its cookie.
    /// </summary>
    public const string ByPath = "Broadsheet";

    public static readonly string[] Schemes = [ByPath];

    public static void AddConsoleAuth(this WebApplicationBuilder builder)
    {
        builder.Services.AddAuthentication(ByPath)
            .AddPolicyScheme(ByPath, ByPath, o => o.ForwardDefaultSelector = c =>
                c.Request.Path.StartsWithSegments("/api") ? AdminToken.Scheme : CookieScheme)
            .AddCookie(CookieScheme, o =>
            {
                o.Cookie.Name = "bs_console";
                o.Cookie.HttpOnly = true;
                o.Cookie.SameSite = SameSiteMode.Strict;
                o.Cookie.SecurePolicy = Microsoft.AspNetCore.Http.CookieSecurePolicy.SameAsRequest;
                o.LoginPath = "/admin/signin";
                o.LogoutPath = "/admin/signout";
                o.AccessDeniedPath = "/admin/denied";
                o.ExpireTimeSpan = TimeSpan.FromHours(12);
                o.SlidingExpiration = true;
                o.Events.OnValidatePrincipal = ValidateAsync;
                // The API answers with status codes, never with a redirect to a sign-in page.
                o.Events.OnRedirectToLogin = c => ApiAware(c, StatusCodes.Status401Unauthorized);
                o.Events.OnRedirectToAccessDenied = c => ApiAware(c, StatusCodes.Status403Forbidden);
            })
            .AddScheme<AuthenticationSchemeOptions, BearerTokenHandler>(AdminToken.Scheme, null);
        Policies.Add(builder.Services.AddAuthorizationBuilder());
    }

    public static ClaimsPrincipal Principal(AdminUser user) => new(new ClaimsIdentity(
        [
            new Claim(ClaimTypes.NameIdentifier, user.Id.ToString()),
            new Claim(ClaimTypes.Name, user.Email),
            new Claim(ClaimTypes.Role, user.Role.ToString()),
            new Claim(StampClaim, user.SecurityStamp),
        ], CookieScheme, ClaimTypes.Name, ClaimTypes.Role));

    /// <summary>Rejects a session whose user is gone or whose credentials changed since sign-in; follows role changes.</summary>
    private static async Task ValidateAsync(CookieValidatePrincipalContext context)
    {
        var id = context.Principal is { } p ? Policies.UserId(p) : null;
        var db = context.HttpContext.RequestServices.GetRequiredService<BroadsheetDb>();
        var user = id is null ? null : await db.AdminUsers.AsNoTracking().FirstOrDefaultAsync(u => u.Id == id);
        if (user is null || user.SecurityStamp != context.Principal!.FindFirstValue(StampClaim))
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(CookieScheme);
            return;
        }
        if (!context.Principal!.IsInRole(user.Role.ToString()))
        {
            context.ReplacePrincipal(Principal(user));
            context.ShouldRenew = true;
        }
    }

    private static Task ApiAware(RedirectContext<CookieAuthenticationOptions> context, int status)
    {
        if (context.Request.Path.StartsWithSegments("/api")) context.Response.StatusCode = status;
        else context.Response.Redirect(context.RedirectUri);
        return Task.CompletedTask;
    }
}
