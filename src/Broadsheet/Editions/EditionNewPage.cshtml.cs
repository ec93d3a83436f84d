using Broadsheet.Admin;
using Broadsheet.Data;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace Broadsheet.Editions;

/// <summary>Writes a new edition in the console: chosen articles or a digest, an intro, an optional segment.</summary>
[Authorize(Policy = Policies.Editor, AuthenticationSchemes = ConsoleAuth.CookieScheme)]
public sealed class EditionNewPageModel(BroadsheetDb db, EditionComposer composer) : PageModel
{
    public EditionForm Form { get; private set; } = new();

    public async Task OnGetAsync([FromQuery] string? newsletter, CancellationToken ct)
    {
        Form = new EditionForm { Newsletter = newsletter };
        await Form.LoadChoicesAsync(db, composer, null, ct);
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        Form = EditionForm.From(Request.Form);
        var newsletter = await db.Newsletters.FirstOrDefaultAsync(n => n.Slug == Form.Newsletter && !n.IsArchived, ct);
        if (newsletter is null)
            Form.Errors["newsletter"] = ["Choose a newsletter."];
        else
        {
            var result = await composer.CreateAsync(newsletter, Form.ToInput(), Policies.Actor(User), ct);
            if (result.Edition is { } edition)
            {
                AuditLog.Record(db, User, "edition.create", edition.Id.ToString(), $"{newsletter.Slug}: {edition.Subject}");
                await db.SaveChangesAsync(ct);
                return Redirect($"/admin/editions/{edition.Id}");
            }
            Form.Errors = result.Errors;
        }
        await Form.LoadChoicesAsync(db, composer, null, ct);
        return Page();
    }
}
