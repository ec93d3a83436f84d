using Broadsheet.Data;
using Broadsheet.Site;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Broadsheet.Signup;

/// <summary>
/// The module alone, for an iframe on the publisher's other sites (see docs/embedding.md). Only origins in
/// <c>Signup:AllowedOrigins</c> may frame it.
/// </summary>
public sealed class EmbedPageModel(BroadsheetDb db, IOptions<SignupOptions> signup, IOptions<SiteOptions> site, SignupFlash flash) : PageModel
{
    public SignupModuleModel Module { get; private set; } = null!;

    public async Task<IActionResult> OnGetAsync([FromQuery(Name = "newsletter")] string? newsletter, [FromQuery(Name = "signup")] string? state, CancellationToken ct)
    {
        var slug = string.IsNullOrWhiteSpace(newsletter) ? site.Value.DefaultNewsletter : newsletter;
        if (!await db.Newsletters.AnyAsync(n => n.Slug == slug && n.IsPublic, ct)) return NotFound();

        var ancestors = string.Join(' ', signup.Value.AllowedOrigins.Select(o => o.Trim().TrimEnd('/')));
        Response.Headers.ContentSecurityPolicy = $"default-src 'self'; frame-ancestors 'self' {ancestors}".TrimEnd();
        Module = SignupModuleModel.ForPage(signup.Value.Texts, slug, $"/embed/signup?newsletter={Uri.EscapeDataString(slug)}", state,
            state is null ? null : flash.Read(Request));
        return Page();
    }
}
