using Broadsheet.Data;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace Broadsheet.Admin;

/// <summary>The audit log, newest first, a page at a time (keyset on id).</summary>
[Authorize(Policy = Policies.Owner, AuthenticationSchemes = ConsoleAuth.CookieScheme)]
public sealed class AuditPageModel(BroadsheetDb db) : PageModel
{
    public const int PageSize = 100;
    public List<AuditEntry> Entries { get; private set; } = [];
    public long? Next { get; private set; }

    public async Task OnGetAsync([FromQuery] long? before, CancellationToken ct)
    {
        var query = db.AuditEntries.AsNoTracking();
        if (before is long b) query = query.Where(e => e.Id < b);
        Entries = await query.OrderByDescending(e => e.Id).Take(PageSize + 1).ToListAsync(ct);
        if (Entries.Count > PageSize)
        {
            Entries.RemoveAt(PageSize);
            Next = Entries[^1].Id;
        }
    }
}
