using Broadsheet.Admin;
using Broadsheet.Data;
using Broadsheet.Delivery;
using Broadsheet.Site;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace Broadsheet.Editions;

/// <summary>
/// The editions API: create (chosen articles or a digest), read with progress, list, edit, schedule, preview and
/// test-send. Viewers read; editors write. Sending itself (send, pause, resume, cancel, retry) is in Delivery.
/// </summary>
public static class EditionEndpoints
{
    public const int PageSize = 20;

    public static void MapEditions(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api").WithTags("Editions");
        var read = api.MapGroup("").RequireAuthorization(Policies.Viewer);
        var write = api.MapGroup("").RequireAuthorization(Policies.Editor);
        write.MapPost("/newsletters/{slug}/editions", CreateAsync).WithName("CreateEdition")
            .WithSummary("Create an edition from article ids or as a digest of what is new");
        read.MapGet("/newsletters/{slug}/editions", ListAsync).WithName("ListEditions").WithSummary("A newsletter's editions, newest first");
        read.MapGet("/editions/{id:long}", GetAsync).WithName("GetEdition").WithSummary("An edition and the progress of its send");
        write.MapPut("/editions/{id:long}", UpdateAsync).WithName("UpdateEdition").WithSummary("Change a draft or scheduled edition");
        write.MapPost("/editions/{id:long}/schedule", ScheduleAsync).WithName("ScheduleEdition").WithSummary("Send by itself at a time");
        write.MapPost("/editions/{id:long}/unschedule", UnscheduleAsync).WithName("UnscheduleEdition").WithSummary("Back to draft");
        write.MapPost("/editions/{id:long}/test", TestAsync).WithName("TestSendEdition").WithSummary("Send a [Test] copy to up to 10 addresses");
        read.MapGet("/editions/{id:long}/preview", PreviewAsync).WithName("PreviewEdition")
            .WithSummary("The message as a reader sees it (format=html or text), filled in for a sample reader")
            .Produces(200, contentType: "text/html").Produces(200, contentType: "text/plain");
    }

    private static async Task<Results<Created<EditionResponse>, NotFound, ValidationProblem>> CreateAsync(
        string slug, EditionRequest request, BroadsheetDb db, EditionComposer composer, EditionActions actions, PublicLinks links, DeliveryCounts counts, HttpContext http, CancellationToken ct)
    {
        var newsletter = await db.Newsletters.FirstOrDefaultAsync(n => n.Slug == slug, ct);
        if (newsletter is null) return TypedResults.NotFound();
        var errors = new Dictionary<string, string[]>();
        var at = request.ScheduledAt is null ? null : SendTime.Read(request.ScheduledAt, "scheduledAt", DateTime.UtcNow, errors);
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);

        var result = await composer.CreateAsync(newsletter, request.ToInput(), Policies.Actor(http.User), ct);
        if (!result.Ok) return TypedResults.ValidationProblem(result.Errors);
        var id = result.Edition!.Id;
        if (at is { } when) await actions.ScheduleAsync(id, when, ct);
        AuditLog.Record(db, http.User, "edition.create", id.ToString(), at is null ? null : $"scheduled {at:O}");
        await db.SaveChangesAsync(ct);
        return TypedResults.Created($"/api/editions/{id}", await EditionResponse.ReadAsync(db, links, counts, id, ct));
    }

    private static async Task<Results<Ok<EditionResponse>, NotFound>> GetAsync(long id, BroadsheetDb db, PublicLinks links, DeliveryCounts counts, CancellationToken ct) =>
        await EditionResponse.ReadAsync(db, links, counts, id, ct) is { } edition ? TypedResults.Ok(edition) : TypedResults.NotFound();

    private static async Task<Results<Ok<EditionList>, NotFound, ValidationProblem>> ListAsync(
        string slug, long? before, int? limit, BroadsheetDb db, CancellationToken ct)
    {
        var newsletter = await db.Newsletters.AsNoTracking().FirstOrDefaultAsync(n => n.Slug == slug, ct);
        if (newsletter is null) return TypedResults.NotFound();
        if (limit is < 1 or > 100) return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["limit"] = ["Between 1 and 100."] });
        var take = limit ?? PageSize;
        var query = db.Editions.AsNoTracking().Where(e => e.NewsletterId == newsletter.Id);
        if (before is { } b) query = query.Where(e => e.Id < b);
        // Ids grow with creation, so they order newest first and make a stable keyset.
        var page = await query.OrderByDescending(e => e.Id).Take(take + 1).ToListAsync(ct);
        var items = page.Take(take).Select(e => new EditionSummary(e.Id, e.Subject, EditionResponse.Name(e.Status), e.IsDigest, e.ArticleIds.Count,
            EditionResponse.Utc(e.ScheduledAt), EditionResponse.Utc(e.StartedAt), EditionResponse.Utc(e.CreatedAt), $"/api/editions/{e.Id}")).ToList();
        var next = page.Count > take ? $"/api/newsletters/{Uri.EscapeDataString(slug)}/editions?before={items[^1].Id}&limit={take}" : null;
        return TypedResults.Ok(new EditionList(items, next));
    }

    private static async Task<Results<Ok<EditionResponse>, NotFound, ValidationProblem, ProblemHttpResult>> UpdateAsync(
        long id, EditionRequest request, BroadsheetDb db, EditionComposer composer, EditionActions actions, PublicLinks links, DeliveryCounts counts, HttpContext http, CancellationToken ct)
    {
        var edition = await db.Editions.Include(e => e.Newsletter).FirstOrDefaultAsync(e => e.Id == id, ct);
        if (edition is null) return TypedResults.NotFound();
        if (!Editable(edition.Status)) return NotEditable(edition.Status);
        var errors = new Dictionary<string, string[]>();
        var at = request.ScheduledAt is null ? null : SendTime.Read(request.ScheduledAt, "scheduledAt", DateTime.UtcNow, errors);
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);

        await using var tx = await db.Database.BeginTransactionAsync(ct);
        // Writing first takes the row (PostgreSQL) or the database (SQLite) for this transaction, so a send that
        // starts meanwhile waits and then sends the changed edition, or has begun and this change is refused.
        var now = DateTime.UtcNow;
        if (await db.Editions.Where(e => e.Id == id && (e.Status == EditionStatus.Draft || e.Status == EditionStatus.Scheduled))
                .ExecuteUpdateAsync(u => u.SetProperty(e => e.UpdatedAt, now), ct) == 0)
            return NotEditable(await db.Editions.Where(e => e.Id == id).Select(e => e.Status).FirstAsync(ct));
        var result = await composer.UpdateAsync(edition, request.ToInput(), ct);
        if (!result.Ok) return TypedResults.ValidationProblem(result.Errors);
        if (at is { } when) await actions.ScheduleAsync(id, when, ct);
        AuditLog.Record(db, http.User, "edition.update", id.ToString());
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return TypedResults.Ok((await EditionResponse.ReadAsync(db, links, counts, id, ct))!);
    }

    private static async Task<Results<Ok<EditionResponse>, NotFound, ValidationProblem, ProblemHttpResult>> ScheduleAsync(
        long id, ScheduleRequest request, BroadsheetDb db, EditionActions actions, PublicLinks links, DeliveryCounts counts, HttpContext http, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        var at = SendTime.Read(request.At, "at", DateTime.UtcNow, errors);
        if (at is null) return TypedResults.ValidationProblem(errors);
        return await ChangeAsync(id, db, links, counts, http, "edition.schedule", () => actions.ScheduleAsync(id, at.Value, ct), $"at {at:O}", ct);
    }

    private static Task<Results<Ok<EditionResponse>, NotFound, ValidationProblem, ProblemHttpResult>> UnscheduleAsync(
        long id, BroadsheetDb db, EditionActions actions, PublicLinks links, DeliveryCounts counts, HttpContext http, CancellationToken ct) =>
        ChangeAsync(id, db, links, counts, http, "edition.unschedule", () => actions.UnscheduleAsync(id, ct), null, ct);

    private static async Task<Results<Ok<EditionResponse>, NotFound, ValidationProblem, ProblemHttpResult>> ChangeAsync(
        long id, BroadsheetDb db, PublicLinks links, DeliveryCounts counts, HttpContext http, string action, Func<Task<bool>> change, string? details, CancellationToken ct)
    {
        if (!await change())
        {
            var status = await db.Editions.Where(e => e.Id == id).Select(e => (EditionStatus?)e.Status).FirstOrDefaultAsync(ct);
            return status is null ? TypedResults.NotFound() : TypedResults.Problem(statusCode: 409, title: "The edition cannot change now",
                detail: $"The edition is {EditionResponse.Name(status.Value)}; this applies only to {(action == "edition.unschedule" ? "scheduled editions" : "drafts and scheduled editions")}.");
        }
        AuditLog.Record(db, http.User, action, id.ToString(), details);
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok((await EditionResponse.ReadAsync(db, links, counts, id, ct))!);
    }

    private static async Task<Results<Accepted<TestSendResult>, NotFound, ValidationProblem>> TestAsync(
        long id, TestSendRequest request, BroadsheetDb db, TestSend testSend, HttpContext http, CancellationToken ct)
    {
        if (!await db.Editions.AnyAsync(e => e.Id == id, ct)) return TypedResults.NotFound();
        var addresses = (request.Addresses ?? []).Where(a => !string.IsNullOrWhiteSpace(a)).Select(a => a.Trim()).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        if (addresses.Count is 0 or > TestSend.MaxAddresses)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["addresses"] = [$"Give 1 to {TestSend.MaxAddresses} addresses."] });
        List<string> invalid;
        try
        {
            invalid = await testSend.SendAsync(id, addresses, ct);
        }
        catch (EditionTemplateException e)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["template"] = [e.Message] });
        }
        if (invalid.Count > 0)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["addresses"] = [$"Not valid email addresses: {string.Join(", ", invalid)}."] });
        AuditLog.Record(db, http.User, "edition.test", id.ToString(), $"{addresses.Count} addresses");
        await db.SaveChangesAsync(ct);
        return TypedResults.Accepted((string?)null, new TestSendResult(addresses.Count));
    }

    // [FromServices] because the renderer's static TryParse (for templates) would make minimal APIs bind it from the request.
    private static async Task<Results<ContentHttpResult, NotFound, ValidationProblem>> PreviewAsync(
        long id, string? format, BroadsheetDb db, [FromServices] EditionRenderer renderer, PublicLinks links, HttpContext http, CancellationToken ct)
    {
        if (format is not (null or "html" or "text"))
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["format"] = ["html or text"] });
        var edition = await db.Editions.AsNoTracking().Include(e => e.Newsletter).FirstOrDefaultAsync(e => e.Id == id, ct);
        if (edition is null) return TypedResults.NotFound();
        RenderedEdition rendered;
        try
        {
            rendered = await renderer.RenderAsync(edition, ct);
        }
        catch (EditionTemplateException e)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["template"] = [e.Message] });
        }
        var nowhere = links.Absolute(PublicLinks.NewslettersPath());
        var reader = new EditionRecipient(SampleReader.Email, SampleReader.Name, nowhere, nowhere);
        if (format == "text") return TypedResults.Text(rendered.Text(reader), "text/plain; charset=utf-8");
        // The template is an editor's HTML served from this origin: no scripts, no forms, nothing but its own styles and images.
        http.Response.Headers.ContentSecurityPolicy = "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src https: data:";
        return TypedResults.Text(rendered.Html(reader), "text/html; charset=utf-8");
    }

    private static bool Editable(EditionStatus status) => status is EditionStatus.Draft or EditionStatus.Scheduled;

    private static ProblemHttpResult NotEditable(EditionStatus status) => TypedResults.Problem(statusCode: 409, title: "The edition cannot change now",
        detail: $"The edition is {EditionResponse.Name(status)}; only drafts and scheduled editions can be changed.");
}

/// <summary>The answer to a test send: how many [Test] messages were queued.</summary>
public sealed record TestSendResult([property: System.Text.Json.Serialization.JsonPropertyName("queued")] int Queued);

/// <summary>The made-up reader that previews are filled in for.</summary>
public static class SampleReader
{
    public const string Email = "reader@example.com";
    public const string Name = "Sample Reader";
}
