using System.Globalization;
using Broadsheet.Articles;
using Broadsheet.Data;
using Broadsheet.Newsletters;
using Broadsheet.Subscribers;
using Microsoft.EntityFrameworkCore;

namespace Broadsheet.Editions;

/// <summary>
/// The console's edition form (new and edit): the values as typed, the choices it offers (recent articles,
/// segments, newsletters with the size of their digest now) and the errors by field.
/// </summary>
public sealed class EditionForm
{
    /// <summary>How many recent articles the form offers to choose from.</summary>
    public const int RecentArticles = 50;

    public string? Newsletter { get; init; }
    public string? Subject { get; init; }
    public string? Preheader { get; init; }
    public string? Intro { get; init; }
    public bool Digest { get; init; }

    /// <summary>The chosen articles in the order they will appear.</summary>
    public List<int> ArticleIds { get; init; } = [];
    public int? SegmentId { get; init; }

    public List<Article> Articles { get; private set; } = [];
    public List<Segment> Segments { get; private set; } = [];
    public List<Newsletter> Newsletters { get; private set; } = [];

    /// <summary>How many articles a digest would hold now, by newsletter slug.</summary>
    public Dictionary<string, int> DigestSizes { get; private set; } = [];
    public Dictionary<string, string[]> Errors { get; set; } = [];

    public EditionInput ToInput() => new(Subject, Preheader, Intro, Digest ? null : ArticleIds, Digest, SegmentId);

    public static EditionForm From(Edition e) => new()
    {
        Newsletter = e.Newsletter?.Slug, Subject = e.Subject, Preheader = e.Preheader, Intro = e.IntroMarkdown,
        Digest = e.IsDigest, ArticleIds = e.IsDigest ? [] : [.. e.ArticleIds], SegmentId = e.SegmentId,
    };

    /// <summary>
    /// Reads a posted form. Articles are ticked boxes (<c>articleIds</c>); each may carry a position
    /// (<c>position-ID</c>), and they are ordered by it, unnumbered ones last in the order listed.
    /// </summary>
    public static EditionForm From(IFormCollection form)
    {
        var ticked = form["articleIds"].Select(v => int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : (int?)null)
            .OfType<int>().Distinct().ToList();
        int Position(int id) => int.TryParse(form[$"position-{id}"], NumberStyles.Integer, CultureInfo.InvariantCulture, out var p) ? p : int.MaxValue;
        return new EditionForm
        {
            Newsletter = form["newsletter"].FirstOrDefault(),
            Subject = form["subject"].FirstOrDefault(),
            Preheader = form["preheader"].FirstOrDefault(),
            Intro = form["intro"].FirstOrDefault(),
            Digest = form["content"] == "digest",
            ArticleIds = ticked.Select((id, i) => (id, i)).OrderBy(x => Position(x.id)).ThenBy(x => x.i).Select(x => x.id).ToList(),
            SegmentId = int.TryParse(form["segment"], NumberStyles.None, CultureInfo.InvariantCulture, out var s) ? s : null,
        };
    }

    /// <summary>Loads the choices: recent articles (with the chosen ones first, in their order), segments, newsletters and digest sizes.</summary>
    public async Task LoadChoicesAsync(BroadsheetDb db, EditionComposer composer, Edition? editing, CancellationToken ct)
    {
        var recent = await db.Articles.AsNoTracking().OrderByDescending(a => a.PublishedAt).ThenByDescending(a => a.Id).Take(RecentArticles).ToListAsync(ct);
        var chosen = await db.Articles.AsNoTracking().Where(a => ArticleIds.Contains(a.Id)).ToDictionaryAsync(a => a.Id, ct);
        Articles = [.. ArticleIds.Where(chosen.ContainsKey).Select(id => chosen[id]), .. recent.Where(a => !chosen.ContainsKey(a.Id))];
        Segments = await db.Segments.AsNoTracking().OrderBy(s => s.Name).ToListAsync(ct);
        Newsletters = editing is null
            ? await db.Newsletters.AsNoTracking().Where(n => !n.IsArchived).OrderBy(n => n.SortOrder).ThenBy(n => n.Name).ToListAsync(ct)
            : [editing.Newsletter];
        foreach (var n in Newsletters)
            DigestSizes[n.Slug] = (await composer.DigestAsync(n, editing?.Id, ct)).ArticleIds.Count;
    }

    public string? ErrorOf(string field) => Errors.TryGetValue(field, out var e) ? string.Join(" ", e) : null;
}
