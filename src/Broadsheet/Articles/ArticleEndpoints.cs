using System.Text.Json.Serialization;
using Broadsheet.Admin;
using Broadsheet.Data;
using Broadsheet.Site;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.OutputCaching;
using Microsoft.EntityFrameworkCore;

namespace Broadsheet.Articles;

/// <summary>The admin API for articles: <c>POST /api/articles</c> and <c>GET /api/articles/{id}</c>.</summary>
public static class ArticleEndpoints
{
    public static void MapArticles(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/articles").RequireAuthorization(AdminToken.Policy).WithTags("Articles");
        group.MapPost("/", CreateAsync).WithName("CreateArticle").WithSummary("Publish an article");
        group.MapGet("/{id:int}", GetAsync).WithName("GetArticle").WithSummary("Read an article back");
    }

    private static async Task<Results<Created<ArticleResponse>, ValidationProblem>> CreateAsync(
        ArticleRequest request, BroadsheetDb db, PublicLinks links, IOutputCacheStore cache, CancellationToken ct)
    {
        var errors = request.Validate();
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);

        var now = DateTime.UtcNow;
        var related = (request.Related ?? []).Select(r => new RelatedLink { Headline = r.Headline!.Trim(), Section = r.Section!.Trim(), Url = r.Url!.Trim() }).ToList();
        var article = new Article
        {
            Slug = await UniqueSlugAsync(db, Slugs.From(request.Headline!), ct),
            Headline = request.Headline!.Trim(),
            Section = request.Section!.Trim(),
            Standfirst = request.Standfirst?.Trim() ?? "",
            BodyMarkdown = request.Body!,
            BodyHtml = ArticleBody.Render(request.Body!, related),
            Related = related,
            PublishedAt = request.PublishedAt?.UtcDateTime ?? now,
            CreatedAt = now,
            UpdatedAt = now,
        };
        db.Articles.Add(article);
        await db.SaveChangesAsync(ct);
        await cache.EvictByTagAsync(ArticleCache.Tag, ct);

        var response = ArticleResponse.From(article, links);
        return TypedResults.Created(response.Url, response);
    }

    private static async Task<Results<Ok<ArticleResponse>, NotFound>> GetAsync(int id, BroadsheetDb db, PublicLinks links, CancellationToken ct) =>
        await db.Articles.AsNoTracking().FirstOrDefaultAsync(a => a.Id == id, ct) is { } article
            ? TypedResults.Ok(ArticleResponse.From(article, links))
            : TypedResults.NotFound();

    private static async Task<string> UniqueSlugAsync(BroadsheetDb db, string slug, CancellationToken ct)
    {
        var taken = await db.Articles.Where(a => a.Slug == slug || a.Slug.StartsWith(slug + "-")).Select(a => a.Slug).ToListAsync(ct);
        if (!taken.Contains(slug)) return slug;
        for (var n = 2; ; n++)
            if (!taken.Contains($"{slug}-{n}")) return $"{slug}-{n}";
    }
}

/// <summary>Body of <c>POST /api/articles</c>.</summary>
public sealed record ArticleRequest(
    [property: JsonPropertyName("headline")] string? Headline,
    [property: JsonPropertyName("section")] string? Section,
    [property: JsonPropertyName("body")] string? Body,
    [property: JsonPropertyName("related")] List<RelatedLinkRequest>? Related,
    [property: JsonPropertyName("publishedAt")] DateTimeOffset? PublishedAt,
    [property: JsonPropertyName("standfirst")] string? Standfirst = null)
{
    public Dictionary<string, string[]> Validate()
    {
        var errors = new Dictionary<string, string[]>();
        Required(errors, "headline", Headline, 300);
        Required(errors, "section", Section, 100);
        Required(errors, "body", Body, 200_000);
        if (Standfirst?.Trim() is { Length: > 1000 }) errors["standfirst"] = ["At most 1000 characters."];
        if (Related is { Count: > 20 }) errors["related"] = ["At most 20 related links."];
        for (var i = 0; Related is not null && i < Related.Count; i++)
        {
            var r = Related[i];
            if (r is null) { errors[$"related[{i}]"] = ["A related link is required."]; continue; }
            Required(errors, $"related[{i}].headline", r.Headline, 300);
            Required(errors, $"related[{i}].section", r.Section, 100);
            if (Required(errors, $"related[{i}].url", r.Url, 2000) && !IsLinkable(r.Url!.Trim()))
                errors[$"related[{i}].url"] = ["Must be an http(s) URL or a path on this site."];
        }
        return errors;
    }

    private static bool Required(Dictionary<string, string[]> errors, string field, string? value, int max)
    {
        if (string.IsNullOrWhiteSpace(value)) errors[field] = ["This field is required."];
        else if (value.Length > max) errors[field] = [$"At most {max} characters."];
        else return true;
        return false;
    }

    private static bool IsLinkable(string url) =>
        (url.StartsWith('/') && !url.StartsWith("//"))
        || (Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https");
}

/// <summary>One related link in <see cref="ArticleRequest"/>.</summary>
public sealed record RelatedLinkRequest(
    [property: JsonPropertyName("headline")] string? Headline,
    [property: JsonPropertyName("section")] string? Section,
    [property: JsonPropertyName("url")] string? Url);

/// <summary>An article as the API returns it, with <c>url</c>, its public page.</summary>
public sealed record ArticleResponse(
    [property: JsonPropertyName("id")] int Id,
    [property: JsonPropertyName("slug")] string Slug,
    [property: JsonPropertyName("headline")] string Headline,
    [property: JsonPropertyName("section")] string Section,
    [property: JsonPropertyName("standfirst")] string Standfirst,
    [property: JsonPropertyName("body")] string Body,
    [property: JsonPropertyName("related")] List<RelatedLinkRequest> Related,
    [property: JsonPropertyName("publishedAt")] DateTime PublishedAt,
    [property: JsonPropertyName("url")] string Url)
{
    public static ArticleResponse From(Article a, PublicLinks links) => new(
        a.Id, a.Slug, a.Headline, a.Section, a.Standfirst, a.BodyMarkdown,
        [.. a.Related.Select(r => new RelatedLinkRequest(r.Headline, r.Section, r.Url))],
        DateTime.SpecifyKind(a.PublishedAt, DateTimeKind.Utc), links.Absolute(PublicLinks.ArticlePath(a.Slug)));
}
