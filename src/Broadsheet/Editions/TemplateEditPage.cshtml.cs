using Broadsheet.Admin;
using Broadsheet.Data;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace Broadsheet.Editions;

/// <summary>
/// Creates or edits an edition template (a new one starts from the built-in files). Nothing is saved unless both
/// parts parse and render a sample edition within the sandbox; the saved template's sample is previewed.
/// </summary>
[Authorize(Policy = Policies.Viewer, AuthenticationSchemes = ConsoleAuth.CookieScheme)]
[ViewersReadOnly]
public sealed class TemplateEditPageModel(BroadsheetDb db, EditionRenderer renderer, Site.PublicLinks links) : PageModel
{
    [FromRoute(Name = "key")] public string Key { get; set; } = "";

    public int? Id => int.TryParse(Key, out var id) ? id : null;
    public bool Creating => Key == "new";
    public string Name { get; private set; } = "";
    public string HtmlSource { get; private set; } = "";
    public string TextSource { get; private set; } = "";
    public Dictionary<string, string[]> Errors { get; private set; } = [];
    public string? SampleText { get; private set; }
    public string? SampleError { get; private set; }
    public bool Saved { get; private set; }

    public async Task<IActionResult> OnGetAsync([FromQuery] bool saved, CancellationToken ct)
    {
        if (Creating)
        {
            (HtmlSource, TextSource) = (EditionRenderer.BuiltIn(TemplateCheck.Html), EditionRenderer.BuiltIn(TemplateCheck.Text));
            return Page();
        }
        if (await FindAsync(ct) is not { } t) return NotFound();
        (Name, HtmlSource, TextSource, Saved) = (t.Name, t.HtmlSource, t.TextSource, saved);
        try
        {
            SampleText = (await TemplateCheck.RenderSampleAsync(db, renderer, t.HtmlSource, t.TextSource, ct)).Text(EditionPreview.SampleReader(links));
        }
        catch (Exception ex) when (ex is not OperationCanceledException) // checked when saved, but articles change
        {
            SampleError = ex.Message;
        }
        return Page();
    }

    public async Task<IActionResult> OnGetPreviewAsync([FromQuery] string? format, CancellationToken ct)
    {
        if (await FindAsync(ct) is not { } t) return NotFound();
        try
        {
            var sample = await TemplateCheck.RenderSampleAsync(db, renderer, t.HtmlSource, t.TextSource, ct);
            return EditionPreview.Result(Response, sample, EditionPreview.SampleReader(links), format);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return EditionPreview.Failure(Response, ex);
        }
    }

    public async Task<IActionResult> OnPostAsync(string? name, string? html, string? text, CancellationToken ct)
    {
        var existing = Creating ? null : await db.EditionTemplates.FirstOrDefaultAsync(t => t.Id == Id, ct);
        if (!Creating && existing is null) return NotFound();
        (Name, HtmlSource, TextSource) = ((name ?? "").Trim(), html ?? "", text ?? "");

        if (Name.Length is 0 or > 100) Errors["name"] = ["Give a name of at most 100 characters."];
        else if (await db.EditionTemplates.AnyAsync(t => t.Name == Name && t.Id != (existing == null ? 0 : existing.Id), ct)) Errors["name"] = ["Another template has this name."];
        foreach (var (field, source) in new[] { ("html", HtmlSource), ("text", TextSource) })
            if (source.Length > 200_000) Errors[field] = ["At most 200,000 characters."];
        if (Errors.Count == 0) Errors = await TemplateCheck.CheckAsync(db, renderer, HtmlSource, TextSource, ct);
        if (Errors.Count > 0) return Page();

        var template = existing ?? db.EditionTemplates.Add(new EditionTemplate { Name = Name, HtmlSource = "", TextSource = "" }).Entity;
        (template.Name, template.HtmlSource, template.TextSource) = (Name, HtmlSource, TextSource);
        (template.UpdatedBy, template.UpdatedAt) = (Policies.Actor(User), DateTime.UtcNow);
        AuditLog.Record(db, User, Creating ? "template.create" : "template.update", Name);
        await db.SaveChangesAsync(ct);
        return Redirect($"/admin/templates/{template.Id}?saved=true");
    }

    public string? ErrorOf(string field) => Errors.TryGetValue(field, out var e) ? string.Join(" ", e) : null;

    private async Task<EditionTemplate?> FindAsync(CancellationToken ct) =>
        Id is { } id ? await db.EditionTemplates.AsNoTracking().FirstOrDefaultAsync(t => t.Id == id, ct) : null;
}
