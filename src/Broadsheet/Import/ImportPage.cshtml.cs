using Broadsheet.Admin;
using Broadsheet.Data;
using Broadsheet.Newsletters;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace Broadsheet.Import;

/// <summary>Upload a CSV file in the console; progress then shows on the job page.</summary>
[Authorize(Policy = Policies.Editor, AuthenticationSchemes = ConsoleAuth.CookieScheme)]
[RequestSizeLimit(ImportEndpoints.MaxUpload)]
[RequestFormLimits(MultipartBodyLengthLimit = ImportEndpoints.MaxUpload)]
public sealed class ImportPageModel(BroadsheetDb db, ImportJobs imports) : PageModel
{
    public List<Newsletter> Newsletters { get; private set; } = [];
    public string? Error { get; private set; }

    public async Task OnGetAsync(CancellationToken ct) => await LoadAsync(ct);

    public async Task<IActionResult> OnPostAsync(IFormFile? file, string? newsletter, string? status, string? policy, string? emailColumn, string? nameColumn, CancellationToken ct)
    {
        await LoadAsync(ct);
        if (file is null || file.Length == 0) { Error = "Choose a CSV file."; return Page(); }
        if (string.IsNullOrEmpty(newsletter)) { Error = "Choose a newsletter."; return Page(); }
        try
        {
            await using var stream = file.OpenReadStream();
            var job = await imports.StartAsync(stream, new ImportRequest(file.FileName, newsletter, status == "pending",
                policy == "update" ? DuplicatePolicy.Update : DuplicatePolicy.Skip,
                string.IsNullOrWhiteSpace(emailColumn) ? null : emailColumn, string.IsNullOrWhiteSpace(nameColumn) ? null : nameColumn), Policies.Actor(User), ct);
            return Redirect($"/admin/jobs/{job.Id}");
        }
        catch (ImportFileException ex)
        {
            Error = ex.Message;
            return Page();
        }
    }

    private async Task LoadAsync(CancellationToken ct) =>
        Newsletters = await db.Newsletters.AsNoTracking().Where(n => !n.IsArchived).OrderBy(n => n.Name).ToListAsync(ct);
}
