using Broadsheet.Data;
using Broadsheet.Newsletters;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace Broadsheet.Editions;

/// <summary>A public newsletter's past editions, newest first, a page at a time.</summary>
public sealed class ArchivePageModel(BroadsheetDb db) : PageModel
{
    public const int PageSize = 20;

    public Newsletter Newsletter { get; private set; } = null!;
    public List<(long Id, string Subject, DateTime Date)> Editions { get; private set; } = [];
    public int PageNumber { get; private set; }
    public bool HasMore { get; private set; }

    public async Task<IActionResult> OnGetAsync(string slug, [FromQuery(Name = "page")] int? page, CancellationToken ct)
    {
        var newsletter = await db.Newsletters.AsNoTracking().FirstOrDefaultAsync(n => n.Slug == slug && n.IsPublic, ct);
        if (newsletter is null || page is < 1 or > 100_000) return NotFound();
        Newsletter = newsletter;
        PageNumber = page ?? 1;
        var rows = await PublicEditions.Query(db, slug)
            .OrderByDescending(e => e.StartedAt).ThenByDescending(e => e.Id)
            .Skip((PageNumber - 1) * PageSize).Take(PageSize + 1)
            .Select(e => new { e.Id, e.Subject, e.StartedAt, e.CreatedAt }).ToListAsync(ct);
        HasMore = rows.Count > PageSize;
        Editions = rows.Take(PageSize).Select(r => (r.Id, r.Subject, DateTime.SpecifyKind(r.StartedAt ?? r.CreatedAt, DateTimeKind.Utc))).ToList();
        return Page();
    }

    public string PagePath(int page) => Site.PublicLinks.ArchivePath(Newsletter.Slug) + (page > 1 ? $"?page={page}" : "");
}
