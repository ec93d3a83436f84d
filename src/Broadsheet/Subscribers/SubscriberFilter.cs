using System.Text.Json;
using System.Text.Json.Serialization;
using Broadsheet.Data;
using Microsoft.EntityFrameworkCore;

namespace Broadsheet.Subscribers;

/// <summary>
/// The safe filter builder: a fixed set of typed criteria translated to LINQ, never SQL text from users. The list
/// page, exports, bulk actions and saved segments all use it, so they always agree on who is meant.
/// </summary>
public sealed record SubscriberFilter
{
    /// <summary>Start of the address, or start of the name (case-insensitive).</summary>
    [JsonPropertyName("search")] public string? Search { get; init; }

    [JsonPropertyName("newsletter")] public string? Newsletter { get; init; }

    /// <summary>Subscription status in <see cref="Newsletter"/> (or in any newsletter when none is given).</summary>
    [JsonPropertyName("subscription")] public SubscriptionStatus? Subscription { get; init; }

    [JsonPropertyName("status")] public SubscriberStatus? Status { get; init; }

    /// <summary>Part of the page address the subscriber signed up from, e.g. "/articles/" or a section path.</summary>
    [JsonPropertyName("source")] public string? Source { get; init; }

    /// <summary>Section of the article page the subscriber signed up from.</summary>
    [JsonPropertyName("section")] public string? Section { get; init; }

    [JsonPropertyName("from")] public DateOnly? From { get; init; }
    [JsonPropertyName("to")] public DateOnly? To { get; init; }

    public bool IsEmpty => this == new SubscriberFilter();

    public async Task<IQueryable<Subscriber>> ApplyAsync(BroadsheetDb db, CancellationToken ct)
    {
        var query = db.Subscribers.AsQueryable();
        if (!string.IsNullOrWhiteSpace(Search))
        {
            var typed = Search.Trim().Replace("\\", "").Replace("%", "").Replace("_", "");
            var term = typed.ToLowerInvariant();
            if (db.OnPostgres)
            {
                // Prefix LIKEs that the indexes on address (byte-order collation) and name (text_pattern_ops) can serve (an ILIKE could not):
                // the name is matched as typed, in lower case and with a capital first letter.
                var capital = term.Length > 0 ? char.ToUpperInvariant(term[0]) + term[1..] : term;
                query = query.Where(s => s.NormalizedEmail.StartsWith(term)
                    || s.Name!.StartsWith(typed) || s.Name!.StartsWith(term) || s.Name!.StartsWith(capital));
            }
            else
            {
                query = query.Where(s => s.NormalizedEmail.StartsWith(term) || EF.Functions.Like(s.Name!, term + "%"));
            }
        }
        if (!string.IsNullOrWhiteSpace(Newsletter))
        {
            var id = await db.Newsletters.Where(n => n.Slug == Newsletter).Select(n => (int?)n.Id).FirstOrDefaultAsync(ct) ?? -1;
            query = Subscription is { } st
                ? query.Where(s => s.Subscriptions.Any(x => x.NewsletterId == id && x.Status == st))
                : query.Where(s => s.Subscriptions.Any(x => x.NewsletterId == id));
        }
        else if (Subscription is { } st)
        {
            query = query.Where(s => s.Subscriptions.Any(x => x.Status == st));
        }
        if (Status is { } status) query = query.Where(s => s.Status == status);
        if (!string.IsNullOrWhiteSpace(Source)) query = query.Where(s => s.Source != null && s.Source.Contains(Source.Trim()));
        if (!string.IsNullOrWhiteSpace(Section)) query = query.Where(s => s.SourceSection == Section.Trim());
        if (From is { } from)
        {
            var start = from.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
            query = query.Where(s => s.CreatedAt >= start);
        }
        if (To is { } to)
        {
            var end = to.AddDays(1).ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
            query = query.Where(s => s.CreatedAt < end);
        }
        return query;
    }

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    public static SubscriberFilter FromJson(string? json) =>
        string.IsNullOrWhiteSpace(json) ? new() : JsonSerializer.Deserialize<SubscriberFilter>(json, JsonOptions) ?? new();

    /// <summary>Reads the filter from a query string (the list page's form); unknown or malformed values are ignored.</summary>
    public static SubscriberFilter FromQuery(IQueryCollection q) => new()
    {
        Search = Text(q["q"]),
        Newsletter = Text(q["newsletter"]),
        Subscription = Enum.TryParse<SubscriptionStatus>(q["subscription"], true, out var sub) ? sub : null,
        Status = Enum.TryParse<SubscriberStatus>(q["status"], true, out var st) ? st : null,
        Source = Text(q["source"]),
        Section = Text(q["section"]),
        From = DateOnly.TryParse(q["from"], System.Globalization.CultureInfo.InvariantCulture, out var f) ? f : null,
        To = DateOnly.TryParse(q["to"], System.Globalization.CultureInfo.InvariantCulture, out var t) ? t : null,
    };

    /// <summary>The query string that <see cref="FromQuery"/> reads back.</summary>
    public string ToQuery()
    {
        var parts = new List<string>();
        void Add(string key, string? value) { if (!string.IsNullOrEmpty(value)) parts.Add($"{key}={Uri.EscapeDataString(value)}"); }
        Add("q", Search);
        Add("newsletter", Newsletter);
        Add("subscription", Subscription?.ToString());
        Add("status", Status?.ToString());
        Add("source", Source);
        Add("section", Section);
        Add("from", From?.ToString("yyyy-MM-dd"));
        Add("to", To?.ToString("yyyy-MM-dd"));
        return string.Join('&', parts);
    }

    private static string? Text(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim()[..Math.Min(value.Trim().Length, 200)];

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter() },
    };
}
