using Broadsheet.Admin;
using Broadsheet.Data;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace Broadsheet.Newsletters;

/// <summary>Create or edit a newsletter in the console (editors and owners).</summary>
[Authorize(Policy = Policies.Editor, AuthenticationSchemes = ConsoleAuth.CookieScheme)]
public sealed class NewsletterEditPageModel(BroadsheetDb db, NewsletterDirectory directory) : PageModel
{
    public Newsletter Newsletter { get; private set; } = new() { Slug = "", Name = "" };
    public List<Newsletter> Others { get; private set; } = [];
    public List<Editions.EditionTemplate> Templates { get; private set; } = [];
    public Dictionary<string, string[]> Errors { get; private set; } = [];
    public bool Creating => RouteSlug is null;

    [FromRoute(Name = "slug")] public string? RouteSlug { get; set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        if (!Creating)
        {
            var found = await db.Newsletters.AsNoTracking().FirstOrDefaultAsync(n => n.Slug == RouteSlug, ct);
            if (found is null) return NotFound();
            Newsletter = found;
        }
        await LoadOthersAsync(ct);
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(string? slug, string? name, string? description, string? senderName, string? senderEmail,
        string? replyTo, bool doubleOptIn, bool isPublic, bool isArchived, List<string>? suggested, int? templateId,
        bool scheduleEnabled, List<string>? scheduleDays, string? scheduleTime, string? scheduleTimeZone, CancellationToken ct)
    {
        // Blank schedule fields keep their value, so a form without a schedule is not an invalid schedule.
        var schedule = new ScheduleEdit(scheduleEnabled, scheduleDays is { Count: > 0 } ? scheduleDays : null,
            string.IsNullOrWhiteSpace(scheduleTime) ? null : scheduleTime, string.IsNullOrWhiteSpace(scheduleTimeZone) ? null : scheduleTimeZone);
        var edit = new NewsletterEdit(slug, name, description ?? "", senderName ?? "", senderEmail ?? "", replyTo ?? "", doubleOptIn, isPublic, isArchived, suggested ?? [],
            schedule, templateId ?? 0);
        var existing = Creating ? null : await db.Newsletters.FirstOrDefaultAsync(n => n.Slug == RouteSlug, ct);
        if (!Creating && existing is null) return NotFound();

        Errors = edit.Validate(creating: true, existing);
        if (Errors.Count == 0 && slug != RouteSlug && await db.Newsletters.AnyAsync(n => n.Slug == slug, ct)) Errors["slug"] = ["A newsletter with this slug exists."];
        if (Errors.Count == 0) await NewsletterEndpoints.CheckReferencesAsync(db, edit, Errors, ct);
        if (Errors.Count > 0)
        {
            Newsletter = existing ?? new Newsletter { Slug = "", Name = "" };
            edit.ApplyTo(Newsletter);
            await LoadOthersAsync(ct);
            return Page();
        }

        var target = existing ?? db.Newsletters.Add(new Newsletter { Slug = slug!, Name = name!, CreatedAt = DateTime.UtcNow }).Entity;
        edit.ApplyTo(target);
        AuditLog.Record(db, User, Creating ? "newsletter.create" : "newsletter.update", target.Slug);
        await db.SaveChangesAsync(ct);
        directory.Forget();
        return Redirect("/admin/newsletters");
    }

    private async Task LoadOthersAsync(CancellationToken ct)
    {
        Others = await db.Newsletters.AsNoTracking().Where(n => n.Slug != RouteSlug).OrderBy(n => n.Name).ToListAsync(ct);
        Templates = await db.EditionTemplates.AsNoTracking().OrderBy(t => t.Name).ToListAsync(ct);
    }

    /// <summary>IANA zone ids offered in the time-zone field.</summary>
    public static IEnumerable<string> TimeZoneIds =>
        TimeZoneInfo.GetSystemTimeZones().Where(z => z.HasIanaId).Select(z => z.Id).Order(StringComparer.Ordinal);
}
