using Broadsheet.Data;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace Broadsheet.Articles;

/// <summary>The front page: the latest articles.</summary>
public sealed class HomePageModel(BroadsheetDb db) : PageModel
{
    public List<Article> Articles { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken ct) =>
        Articles = await db.Articles.AsNoTracking().OrderByDescending(a => a.PublishedAt).Take(30).ToListAsync(ct);
}
