using Broadsheet.Admin;
using Broadsheet.Data;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace Broadsheet.Newsletters;

/// <summary>Console list of newsletters, archived ones last.</summary>
[Authorize(Policy = Policies.Viewer, AuthenticationSchemes = ConsoleAuth.CookieScheme)]
public sealed class ConsoleNewslettersPageModel(BroadsheetDb db) : PageModel
{
    public List<Newsletter> Newsletters { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken ct) =>
        Newsletters = await db.Newsletters.AsNoTracking().OrderBy(n => n.IsArchived).ThenBy(n => n.SortOrder).ThenBy(n => n.Name).ToListAsync(ct);
}
