using System.Text.Json.Serialization;
using Broadsheet.Data;
using Broadsheet.Delivery;
using Broadsheet.Site;
using Microsoft.EntityFrameworkCore;

namespace Broadsheet.Editions;

/// <summary>An edition as the API returns it: its content, its audience, where its send stands, and its progress.</summary>
public sealed record EditionResponse(
    [property: JsonPropertyName("id")] long Id,
    [property: JsonPropertyName("newsletter")] string Newsletter,
    [property: JsonPropertyName("subject")] string Subject,
    [property: JsonPropertyName("preheader")] string Preheader,
    [property: JsonPropertyName("intro")] string Intro,
    [property: JsonPropertyName("articles")] List<EditionArticle> Articles,
    [property: JsonPropertyName("digest")] bool Digest,
    [property: JsonPropertyName("digestSince")] DateTime? DigestSince,
    [property: JsonPropertyName("digestUntil")] DateTime? DigestUntil,
    [property: JsonPropertyName("segment")] EditionSegment? Segment,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("scheduledAt")] DateTime? ScheduledAt,
    [property: JsonPropertyName("startedAt")] DateTime? StartedAt,
    [property: JsonPropertyName("finishedAt")] DateTime? FinishedAt,
    [property: JsonPropertyName("pausedReason")] string? PausedReason,
    [property: JsonPropertyName("webUrl")] string WebUrl,
    [property: JsonPropertyName("createdBy")] string CreatedBy,
    [property: JsonPropertyName("createdAt")] DateTime CreatedAt,
    [property: JsonPropertyName("updatedAt")] DateTime UpdatedAt,
    [property: JsonPropertyName("progress")] SendProgress Progress)
{
    public static async Task<EditionResponse?> ReadAsync(BroadsheetDb db, PublicLinks links, DeliveryCounts counts, long id, CancellationToken ct)
    {
        var e = await db.Editions.AsNoTracking().Include(x => x.Newsletter).FirstOrDefaultAsync(x => x.Id == id, ct);
        if (e is null) return null;
        var found = await db.Articles.AsNoTracking().Where(a => e.ArticleIds.Contains(a.Id))
            .Select(a => new { a.Id, a.Headline, a.Section, a.Slug }).ToDictionaryAsync(a => a.Id, ct);
        var articles = e.ArticleIds.Where(found.ContainsKey).Select(i => found[i])
            .Select(a => new EditionArticle(a.Id, a.Headline, a.Section, links.Absolute(PublicLinks.ArticlePath(a.Slug)))).ToList();
        var segment = e.SegmentId is { } sid
            ? await db.Segments.AsNoTracking().Where(s => s.Id == sid).Select(s => new EditionSegment(s.Id, s.Name)).FirstOrDefaultAsync(ct)
            : null;
        var progress = await EditionProgress.ReadAsync(db, counts, id, ct);
        return new EditionResponse(e.Id, e.Newsletter.Slug, e.Subject, e.Preheader, e.IntroMarkdown, articles, e.IsDigest, Utc(e.DigestSince), Utc(e.DigestUntil),
            segment, Name(e.Status), Utc(e.ScheduledAt), Utc(e.StartedAt), Utc(e.FinishedAt), e.PausedReason,
            links.Absolute(PublicLinks.EditionPath(e.Newsletter.Slug, e.Id)), e.CreatedBy, Utc(e.CreatedAt), Utc(e.UpdatedAt), SendProgress.From(progress!));
    }

    /// <summary>Status as the API spells it: draft, scheduled, sending, paused, cancelled, sent.</summary>
    public static string Name(EditionStatus status) => status.ToString().ToLowerInvariant();

    /// <summary>Times are stored in UTC; SQLite hands them back without saying so.</summary>
    public static DateTime Utc(DateTime value) => DateTime.SpecifyKind(value, DateTimeKind.Utc);

    public static DateTime? Utc(DateTime? value) => value is { } v ? Utc(v) : null;
}

/// <summary>An article of an edition, in the edition's order.</summary>
public sealed record EditionArticle(
    [property: JsonPropertyName("id")] int Id,
    [property: JsonPropertyName("headline")] string Headline,
    [property: JsonPropertyName("section")] string Section,
    [property: JsonPropertyName("url")] string Url);

/// <summary>The segment that narrows an edition's audience.</summary>
public sealed record EditionSegment([property: JsonPropertyName("id")] int Id, [property: JsonPropertyName("name")] string Name);

/// <summary>Counts of an edition's send, its current rate and its estimated finish.</summary>
public sealed record SendProgress(
    [property: JsonPropertyName("audience")] long Audience,
    [property: JsonPropertyName("queued")] long Queued,
    [property: JsonPropertyName("sent")] long Sent,
    [property: JsonPropertyName("failed")] long Failed,
    [property: JsonPropertyName("skipped")] long Skipped,
    [property: JsonPropertyName("remaining")] long Remaining,
    [property: JsonPropertyName("ratePerSecond")] double RatePerSecond,
    [property: JsonPropertyName("estimatedFinish")] DateTime? EstimatedFinish)
{
    public static SendProgress From(EditionProgress p) =>
        new(p.Audience, p.Queued, p.Sent, p.Failed, p.Skipped, p.Remaining, p.RatePerSecond, EditionResponse.Utc(p.EstimatedFinish));
}

/// <summary>One edition in a newsletter's list.</summary>
public sealed record EditionSummary(
    [property: JsonPropertyName("id")] long Id,
    [property: JsonPropertyName("subject")] string Subject,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("digest")] bool Digest,
    [property: JsonPropertyName("articleCount")] int ArticleCount,
    [property: JsonPropertyName("scheduledAt")] DateTime? ScheduledAt,
    [property: JsonPropertyName("startedAt")] DateTime? StartedAt,
    [property: JsonPropertyName("createdAt")] DateTime CreatedAt,
    [property: JsonPropertyName("url")] string Url);

/// <summary>A page of a newsletter's editions, newest first; <c>next</c> is the following page, or null at the end.</summary>
public sealed record EditionList(
    [property: JsonPropertyName("items")] List<EditionSummary> Items,
    [property: JsonPropertyName("next")] string? Next);
