using System.Text.Json.Serialization;
using Broadsheet.Editions;

namespace Broadsheet.Newsletters;

/// <summary>
/// A newsletter's schedule as the API and the console form send it: a digest built and sent by itself on
/// <c>days</c> at <c>time</c> in <c>timeZone</c>. Fields left null keep their value.
/// </summary>
public sealed record ScheduleEdit(
    [property: JsonPropertyName("enabled")] bool? Enabled,
    [property: JsonPropertyName("days")] List<string>? Days,
    [property: JsonPropertyName("time")] string? Time,
    [property: JsonPropertyName("timeZone")] string? TimeZone)
{
    /// <summary>
    /// Adds field errors (<c>schedule.days</c>, <c>schedule.time</c>, <c>schedule.timeZone</c>). An enabled schedule
    /// needs all three, taken from <paramref name="current"/> where not given; given fields are checked either way.
    /// </summary>
    public void Validate(Newsletter? current, Dictionary<string, string[]> errors)
    {
        var found = new Dictionary<string, string[]>();
        ScheduleRule.Parse(Days ?? (current is null ? [] : ScheduleRule.SplitDays(current.ScheduleDays)),
            Time ?? current?.ScheduleTime, TimeZone ?? current?.ScheduleTimeZone ?? "UTC", found);
        var enabled = Enabled ?? current?.ScheduleEnabled ?? false;
        foreach (var (field, messages) in found)
        {
            var given = field switch { "schedule.days" => Days is not null, "schedule.time" => Time is not null, _ => TimeZone is not null };
            if (enabled || given) errors[field] = messages;
        }
    }

    /// <summary>Copies the schedule onto <paramref name="n"/> and, when it changed, works out its next run from <paramref name="now"/>.</summary>
    public void ApplyTo(Newsletter n, DateTime now)
    {
        var before = (n.ScheduleEnabled, n.ScheduleDays, n.ScheduleTime, n.ScheduleTimeZone);
        if (Enabled is bool enabled) n.ScheduleEnabled = enabled;
        if (Days is not null)
        {
            var errors = new Dictionary<string, string[]>();
            var rule = ScheduleRule.Parse(Days, "00:00", "UTC", errors);
            n.ScheduleDays = rule is null ? string.Join(",", Days) : ScheduleRule.FormatDays(rule.Days);
        }
        if (Time is not null) n.ScheduleTime = Time.Trim();
        if (TimeZone is not null) n.ScheduleTimeZone = TimeZone.Trim();
        if (before != (n.ScheduleEnabled, n.ScheduleDays, n.ScheduleTime, n.ScheduleTimeZone) || (n.ScheduleEnabled && n.NextScheduledRunAt is null))
            n.NextScheduledRunAt = n.ScheduleEnabled ? ScheduleRule.FromStored(n.ScheduleDays, n.ScheduleTime, n.ScheduleTimeZone)?.NextAfter(now) : null;
    }
}

/// <summary>A newsletter's schedule as the API returns it, with its next run in UTC.</summary>
public sealed record ScheduleResponse(
    [property: JsonPropertyName("enabled")] bool Enabled,
    [property: JsonPropertyName("days")] IReadOnlyList<string> Days,
    [property: JsonPropertyName("time")] string Time,
    [property: JsonPropertyName("timeZone")] string TimeZone,
    [property: JsonPropertyName("nextRunAt")] DateTime? NextRunAt)
{
    public static ScheduleResponse From(Newsletter n) => new(n.ScheduleEnabled, ScheduleRule.SplitDays(n.ScheduleDays), n.ScheduleTime, n.ScheduleTimeZone,
        n.NextScheduledRunAt is { } at ? DateTime.SpecifyKind(at, DateTimeKind.Utc) : null);
}
