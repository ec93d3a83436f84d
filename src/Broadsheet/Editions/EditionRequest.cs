using System.Globalization;
using System.Text.Json.Serialization;

namespace Broadsheet.Editions;

/// <summary>Body of <c>POST /api/newsletters/{slug}/editions</c> and <c>PUT /api/editions/{id}</c>.</summary>
public sealed record EditionRequest(
    [property: JsonPropertyName("subject")] string? Subject,
    [property: JsonPropertyName("preheader")] string? Preheader,
    [property: JsonPropertyName("intro")] string? Intro,
    [property: JsonPropertyName("articleIds")] List<int>? ArticleIds,
    [property: JsonPropertyName("digest")] bool? Digest,
    [property: JsonPropertyName("segmentId")] int? SegmentId,
    [property: JsonPropertyName("scheduledAt")] string? ScheduledAt)
{
    public EditionInput ToInput() => new(Subject, Preheader, Intro, ArticleIds, Digest ?? false, SegmentId);
}

/// <summary>Body of <c>POST /api/editions/{id}/schedule</c>.</summary>
public sealed record ScheduleRequest([property: JsonPropertyName("at")] string? At);

/// <summary>Body of <c>POST /api/editions/{id}/test</c>.</summary>
public sealed record TestSendRequest([property: JsonPropertyName("addresses")] List<string>? Addresses);

/// <summary>When a scheduled edition goes out: an ISO 8601 instant in UTC (<c>Z</c>) or with an offset, in the future.</summary>
public static class SendTime
{
    /// <summary>Reads <paramref name="value"/> as a future instant in UTC, or adds an error under <paramref name="field"/>.</summary>
    public static DateTime? Read(string? value, string field, DateTime now, Dictionary<string, string[]> errors)
    {
        if (!DateTimeOffset.TryParseExact(value?.Trim(), ["yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK", "yyyy-MM-dd'T'HH:mmK"],
                CultureInfo.InvariantCulture, DateTimeStyles.None, out var at) || !HasOffset(value!))
        {
            errors[field] = ["An ISO 8601 time with Z or an offset, e.g. 2026-06-01T06:00:00Z or 2026-06-01T07:00:00+01:00."];
            return null;
        }
        if (at.UtcDateTime <= now)
        {
            errors[field] = ["The time must be in the future."];
            return null;
        }
        return at.UtcDateTime;
    }

    // "K" also accepts no offset at all (then the server's own zone would be assumed); a send time must say its zone.
    private static bool HasOffset(string value)
    {
        var v = value.Trim();
        return v.EndsWith('Z') || v.EndsWith('z') || (v.Length > 6 && v[^6] is '+' or '-' && v[^3] == ':');
    }
}
