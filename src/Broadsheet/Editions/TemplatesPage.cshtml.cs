using Broadsheet.Admin;
using Broadsheet.Data;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace Broadsheet.Editions;

/// <summary>The console's list of edition templates and the newsletters that use each.</summary>
[Authorize(Policy = Policies.Viewer, AuthenticationSchemes = ConsoleAuth.CookieScheme)]
public sealed class TemplatesPageModel(BroadsheetDb db) : PageModel
{
    public List<EditionTemplate> Templates { get; private set; } = [];
    public ILookup<int, string> UsedBy { get; private set; } = Array.Empty<string>().ToLookup(_ => 0);

    public async Task OnGetAsync(CancellationToken ct)
    {
        Templates = await db.EditionTemplates.AsNoTracking().OrderBy(t => t.Name).ToListAsync(ct);
        UsedBy = (await db.Newsletters.AsNoTracking().Where(n => n.TemplateId != null).Select(n => new { n.TemplateId, n.Name }).ToListAsync(ct))
            .ToLookup(n => n.TemplateId!.Value, n => n.Name);
    }
}
