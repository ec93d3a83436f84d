using Broadsheet.Data;
using Broadsheet.Signup;
using Broadsheet.Site;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Broadsheet.Newsletters;

/// <summary>
/// All public newsletters. Reached with <c>?t=</c> (the short-lived token from "Click here" after a sign-up) it adds
/// newsletters in one click without retyping the address; with <c>?o=</c> (a link in one of our emails) it also
/// remembers that this browser owns the address.
/// </summary>
public sealed class NewslettersPageModel(BroadsheetDb db, SignupTokens tokens, OwnerProof owner, SignupFlash flash, IOptions<SignupOptions> signup) : PageModel
{
    public List<Newsletter> Newsletters { get; private set; } = [];
    public string? Token { get; private set; }
    public string? Email { get; private set; }
    public SignupFlashData? Result { get; private set; }
    public SignupTexts Texts => signup.Value.Texts;
    public bool TokenExpired { get; private set; }

    public async Task<IActionResult> OnGetAsync([FromQuery(Name = "t")] string? token, [FromQuery(Name = "o")] string? ownerToken,
        [FromQuery(Name = "signup")] string? state, CancellationToken ct)
    {
        if (ownerToken is not null)
        {
            if (tokens.ReadOwnerLink(ownerToken) is not { } proven) return Redirect(PublicLinks.NewslettersPath());
            owner.Add(HttpContext, proven);
            return Redirect(PublicLinks.NewslettersPath(tokens.ForMoreNewsletters(proven)));
        }

        Email = tokens.ReadMoreNewsletters(token);
        Token = Email is null ? null : token;
        TokenExpired = token is not null && Email is null;
        if (state is not null) Result = flash.Read(Request);
        Newsletters = await db.Newsletters.AsNoTracking().Where(n => n.IsPublic).OrderBy(n => n.SortOrder).ThenBy(n => n.Name).ToListAsync(ct);
        return Page();
    }

    public string ReturnUrl => PublicLinks.NewslettersPath(Token);
}
