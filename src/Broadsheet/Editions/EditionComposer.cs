using Broadsheet.Articles;
using Broadsheet.Data;
using Broadsheet.Newsletters;
using Microsoft.EntityFrameworkCore;

namespace Broadsheet.Editions;

/// <summary>
/// Creates and edits editions for the console, the API and the schedule alike: checks the input, renders the intro,
/// and for a digest picks the articles published since the newsletter's last edition.
/// </summary>
public sealed class EditionComposer(BroadsheetDb db)
{
    /// <summary>How far back the first digest of a newsletter looks.</summary>
    public static readonly TimeSpan FirstDigestWindow = TimeSpan.FromDays(7);

    /// <summary>At most this many articles go into one digest (the newest).</summary>
    public const int MaxDigestArticles = 50;

    /// <summary>The result: the edition, or errors by field name (for problem details and form messages).</summary>
    public sealed record Result(Edition? Edition, Dictionary<string, string[]> Errors)
    {
        public bool Ok => Edition is not null;
    }

    public async Task<Result> CreateAsync(Newsletter newsletter, EditionInput input, string createdBy, CancellationToken ct)
    {
        var now = DateTime.UtcNow;
        var edition = new Edition { Subject = "", NewsletterId = newsletter.Id, Newsletter = newsletter, CreatedBy = createdBy, CreatedAt = now, UpdatedAt = now };
        var errors = await ApplyAsync(edition, input, ct);
        if (errors.Count > 0) return new Result(null, errors);
        db.Editions.Add(edition);
        await db.SaveChangesAsync(ct);
        return new Result(edition, errors);
    }

    /// <summary>Changes a draft or scheduled edition; one that is sending or sent cannot change.</summary>
    public async Task<Result> UpdateAsync(Edition edition, EditionInput input, CancellationToken ct)
    {
        if (edition.Status is not (EditionStatus.Draft or EditionStatus.Scheduled))
            return new Result(null, new() { ["status"] = [$"An edition that is {edition.Status.ToString().ToLowerInvariant()} cannot be changed."] });
        var errors = await ApplyAsync(edition, input, ct);
        if (errors.Count > 0) return new Result(null, errors);
        edition.UpdatedAt = DateTime.UtcNow;
        await db.SaveChangesAsync(ct);
        return new Result(edition, errors);
    }

    /// <summary>The articles a digest of <paramref name="newsletter"/> would hold now, newest first, and its window.</summary>
    public async Task<(List<int> ArticleIds, DateTime Since, DateTime Until)> DigestAsync(Newsletter newsletter, long? excludeEdition, CancellationToken ct)
    {
        var until = DateTime.UtcNow;
        // Only editions on their way to readers count: a draft may never go out, and a cancelled one did not.
        var last = await db.Editions.Where(e => e.NewsletterId == newsletter.Id && e.Status != EditionStatus.Cancelled && e.Status != EditionStatus.Draft
                && e.Id != (excludeEdition ?? 0))
            .MaxAsync(e => (DateTime?)(e.DigestUntil ?? e.CreatedAt), ct);
        var since = last ?? until - FirstDigestWindow;
        var ids = await db.Articles.Where(a => a.PublishedAt > since && a.PublishedAt <= until)
            .OrderByDescending(a => a.PublishedAt).ThenByDescending(a => a.Id).Take(MaxDigestArticles).Select(a => a.Id).ToListAsync(ct);
        return (ids, since, until);
    }

    private async Task<Dictionary<string, string[]>> ApplyAsync(Edition edition, EditionInput input, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        var subject = input.Subject?.Trim() ?? "";
        if (subject.Length == 0) errors["subject"] = ["A subject is required."];
        else if (subject.Length > 300) errors["subject"] = ["The subject is at most 300 characters."];
        var preheader = input.Preheader?.Trim() ?? "";
        if (preheader.Length > 300) errors["preheader"] = ["The preheader is at most 300 characters."];
        var intro = input.Intro ?? "";
        if (intro.Length > 20_000) errors["intro"] = ["The intro is at most 20,000 characters."];
        if (input.SegmentId is { } segment && !await db.Segments.AnyAsync(s => s.Id == segment, ct))
            errors["segment"] = [$"There is no segment {segment}."];

        List<int> articles;
        DateTime? since = null, until = null;
        if (input.Digest)
        {
            if (input.ArticleIds is { Count: > 0 }) errors["articleIds"] = ["Give either article ids or \"digest\": true, not both."];
            (articles, var s, var u) = await DigestAsync(edition.Newsletter, edition.Id == 0 ? null : edition.Id, ct);
            (since, until) = (s, u);
            if (articles.Count == 0 && !errors.ContainsKey("articleIds")) errors["digest"] = ["No articles have been published since the last edition."];
        }
        else
        {
            articles = (input.ArticleIds ?? []).Distinct().ToList();
            if (articles.Count == 0 && intro.Trim().Length == 0) errors["articleIds"] = ["Choose at least one article, or write an intro."];
            if (articles.Count > 100) errors["articleIds"] = ["At most 100 articles."];
            var known = await db.Articles.Where(a => articles.Contains(a.Id)).Select(a => a.Id).ToListAsync(ct);
            var unknown = articles.Except(known).ToList();
            if (unknown.Count > 0) errors["articleIds"] = [$"No such article: {string.Join(", ", unknown)}."];
        }
        if (errors.Count > 0) return errors;

        edition.Subject = subject;
        edition.Preheader = preheader;
        edition.IntroMarkdown = intro;
        edition.IntroHtml = ArticleBody.RenderFragment(intro);
        edition.ArticleIds = articles;
        edition.IsDigest = input.Digest;
        edition.DigestSince = since;
        edition.DigestUntil = until;
        edition.SegmentId = input.SegmentId;
        return errors;
    }
}
