using Broadsheet.Admin;
using Broadsheet.Data;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Broadsheet.Newsletters;

/// <summary><c>/api/newsletters</c>: list and read for viewers, create and edit for editors.</summary>
public static class NewsletterEndpoints
{
    public static void MapNewsletters(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/newsletters").RequireAuthorization(Policies.Viewer).WithTags("Newsletters");
        group.MapGet("/", ListAsync).WithName("ListNewsletters");
        group.MapGet("/{slug}", GetAsync).WithName("GetNewsletter");
        group.MapPost("/", CreateAsync).WithName("CreateNewsletter").RequireAuthorization(Policies.Editor);
        group.MapPut("/{slug}", UpdateAsync).WithName("UpdateNewsletter").RequireAuthorization(Policies.Editor);
    }

    private static async Task<Ok<List<NewsletterResponse>>> ListAsync(BroadsheetDb db, CancellationToken ct) =>
        TypedResults.Ok((await db.Newsletters.AsNoTracking().OrderBy(n => n.SortOrder).ThenBy(n => n.Name).ToListAsync(ct)).Select(NewsletterResponse.From).ToList());

    private static async Task<Results<Ok<NewsletterResponse>, NotFound>> GetAsync(string slug, BroadsheetDb db, CancellationToken ct) =>
        await db.Newsletters.AsNoTracking().FirstOrDefaultAsync(n => n.Slug == slug, ct) is { } n ? TypedResults.Ok(NewsletterResponse.From(n)) : TypedResults.NotFound();

    private static async Task<Results<Created<NewsletterResponse>, ValidationProblem>> CreateAsync(NewsletterEdit edit, BroadsheetDb db, NewsletterDirectory directory, HttpContext http, CancellationToken ct)
    {
        var errors = edit.Validate(creating: true);
        if (errors.Count == 0 && await db.Newsletters.AnyAsync(n => n.Slug == edit.Slug, ct)) errors["slug"] = ["A newsletter with this slug exists."];
        if (errors.Count == 0) await CheckReferencesAsync(db, edit, errors, ct);
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);

        var newsletter = new Newsletter { Slug = edit.Slug!, Name = edit.Name!, CreatedAt = DateTime.UtcNow };
        edit.ApplyTo(newsletter);
        db.Newsletters.Add(newsletter);
        AuditLog.Record(db, http.User, "newsletter.create", newsletter.Slug);
        await db.SaveChangesAsync(ct);
        directory.Forget();
        return TypedResults.Created($"/api/newsletters/{newsletter.Slug}", NewsletterResponse.From(newsletter));
    }

    private static async Task<Results<Ok<NewsletterResponse>, NotFound, ValidationProblem>> UpdateAsync(string slug, NewsletterEdit edit, BroadsheetDb db, NewsletterDirectory directory, HttpContext http, CancellationToken ct)
    {
        var newsletter = await db.Newsletters.FirstOrDefaultAsync(n => n.Slug == slug, ct);
        if (newsletter is null) return TypedResults.NotFound();
        var errors = edit.Validate(creating: false, newsletter);
        if (errors.Count == 0 && edit.Slug is not null && edit.Slug != slug && await db.Newsletters.AnyAsync(n => n.Slug == edit.Slug, ct))
            errors["slug"] = ["A newsletter with this slug exists."];
        if (errors.Count == 0) await CheckReferencesAsync(db, edit, errors, ct);
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);

        edit.ApplyTo(newsletter);
        AuditLog.Record(db, http.User, "newsletter.update", slug);
        await db.SaveChangesAsync(ct);
        directory.Forget();
        return TypedResults.Ok(NewsletterResponse.From(newsletter));
    }

    /// <summary>Checks that the suggested newsletters and the edition template exist.</summary>
    internal static async Task CheckReferencesAsync(BroadsheetDb db, NewsletterEdit edit, Dictionary<string, string[]> errors, CancellationToken ct)
    {
        if (edit.TemplateId is > 0 and var template && !await db.EditionTemplates.AnyAsync(t => t.Id == template, ct))
            errors["templateId"] = [$"There is no template {template}."];
        if (edit.Suggested is not { Count: > 0 } wanted) return;
        var known = await db.Newsletters.Where(n => wanted.Contains(n.Slug)).Select(n => n.Slug).ToListAsync(ct);
        var unknown = wanted.Except(known).ToList();
        if (unknown.Count > 0) errors["suggested"] = [$"Unknown newsletters: {string.Join(", ", unknown)}."];
    }
}
