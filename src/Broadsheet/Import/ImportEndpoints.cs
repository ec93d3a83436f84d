using System.Text.Json.Serialization;
using Broadsheet.Admin;
using Broadsheet.Data;
using Broadsheet.Jobs;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Broadsheet.Import;

/// <summary><c>POST /api/subscribers/import</c> (CSV body), <c>GET /api/imports/{id}</c> and its report.</summary>
public static class ImportEndpoints
{
    /// <summary>Largest accepted import file (2 GiB); the file is streamed to disk, never held in memory.</summary>
    public const long MaxUpload = 2L << 30;

    public static void MapImports(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api").RequireAuthorization(Policies.Editor).WithTags("Import");
        api.MapPost("/subscribers/import", StartAsync).Accepts<string>("text/csv").WithName("ImportSubscribers")
            .WithMetadata(new Microsoft.AspNetCore.Mvc.RequestSizeLimitAttribute(MaxUpload))
            .WithSummary("Import subscribers from a CSV body (UTF-8, header row with an email column)");
        api.MapGet("/imports/{id:long}", GetAsync).WithName("GetImport");
        api.MapGet("/imports/{id:long}/report", ReportAsync).WithName("GetImportReport").Produces(200, contentType: "text/csv");
        app.MapGet("/admin/import/{id:long}/report", ReportAsync).RequireAuthorization(Policies.Editor).ExcludeFromDescription();
    }

    private static async Task<Results<Accepted<ImportStatus>, ValidationProblem>> StartAsync(
        HttpContext http, ImportJobs imports, string? newsletter, string? status, string? policy, string? emailColumn, string? nameColumn, string? fileName, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(newsletter)) errors["newsletter"] = ["Name the newsletter: ?newsletter=SLUG."];
        if (status is not (null or "active" or "pending")) errors["status"] = ["active or pending"];
        if (policy is not (null or "skip" or "update")) errors["policy"] = ["skip or update"];
        if (!(http.Request.ContentType ?? "").StartsWith("text/csv", StringComparison.OrdinalIgnoreCase)) errors["body"] = ["Send the file as the body with Content-Type: text/csv."];
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);
        try
        {
            var job = await imports.StartAsync(http.Request.Body,
                new ImportRequest(fileName ?? "api-upload.csv", newsletter!, status == "pending", policy == "update" ? DuplicatePolicy.Update : DuplicatePolicy.Skip, emailColumn, nameColumn),
                Policies.Actor(http.User), ct);
            return TypedResults.Accepted($"/api/imports/{job.Id}", ImportStatus.From(job));
        }
        catch (ImportFileException ex)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["file"] = [ex.Message] });
        }
    }

    private static async Task<Results<Ok<ImportStatus>, NotFound>> GetAsync(long id, BroadsheetDb db, CancellationToken ct) =>
        await db.Jobs.AsNoTracking().FirstOrDefaultAsync(j => j.Id == id && j.Kind == JobKind.Import, ct) is { } job
            ? TypedResults.Ok(ImportStatus.From(job)) : TypedResults.NotFound();

    private static async Task<IResult> ReportAsync(long id, HttpContext http, BroadsheetDb db, ImportJobs imports, CancellationToken ct)
    {
        if (!await db.Jobs.AnyAsync(j => j.Id == id && j.Kind == JobKind.Import, ct)) return TypedResults.NotFound();
        http.Response.ContentType = "text/csv; charset=utf-8";
        http.Response.Headers.ContentDisposition = $"attachment; filename=\"import-{id}-rejected.csv\"";
        await imports.WriteReportAsync(id, http.Response.Body, ct);
        return TypedResults.Empty;
    }
}

/// <summary>An import's progress and outcome.</summary>
public sealed record ImportStatus(
    [property: JsonPropertyName("id")] long Id,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("total")] long Total,
    [property: JsonPropertyName("processed")] long Processed,
    [property: JsonPropertyName("rejected")] long Rejected,
    [property: JsonPropertyName("error")] string? Error,
    [property: JsonPropertyName("reportUrl")] string ReportUrl)
{
    public static ImportStatus From(Job job) =>
        new(job.Id, job.Status.ToString().ToLowerInvariant(), job.Total, job.Processed, job.Failed, job.Error, $"/api/imports/{job.Id}/report");
}
