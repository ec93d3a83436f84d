using Broadsheet.Data;
using Broadsheet.Signup;
using Broadsheet.Site;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Options;

namespace Broadsheet.Articles;

/// <summary>The public article page, with the sign-up module set into its body.</summary>
public sealed class ArticlePageModel(BroadsheetDb db, ArticleLookup articles, IOptions<SignupOptions> signup, IOptions<SiteOptions> site, SignupFlash flash) : PageModel
{
    public Article Article { get; private set; } = null!;
    public SignupModuleModel Module { get; private set; } = null!;

    public async Task<IActionResult> OnGetAsync(string slug, [FromQuery(Name = "signup")] string? state, CancellationToken ct)
    {
        var article = await articles.BySlugAsync(db, slug, ct);
        if (article is null) return NotFound();
        Article = article;
        Module = SignupModuleModel.ForPage(signup.Value.Texts, site.Value.DefaultNewsletter, PublicLinks.ArticlePath(slug), state,
            state is null ? null : flash.Read(Request));
        return Page();
    }
}
