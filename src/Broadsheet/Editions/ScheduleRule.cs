using System.Globalization;

namespace Broadsheet.Editions;

/// <summary>
/// A newsletter's send schedule (days of the week and a local time in an IANA time zone) and the pure arithmetic of
/// its next run. Local times are kept across daylight-saving changes: 06:00 stays 06:00 in summer and winter.
/// </summary>
public sealed record ScheduleRule(IReadOnlySet<DayOfWeek> Days, TimeOnly Time, TimeZoneInfo Zone)
{
    /// <summary>Day names as stored and accepted, in week order.</summary>
    public static IReadOnlyList<string> DayNames => Names;

    private static readonly string[] Names = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

    private static readonly DayOfWeek[] DayValues =
        [DayOfWeek.Monday, DayOfWeek.Tuesday, DayOfWeek.Wednesday, DayOfWeek.Thursday, DayOfWeek.Friday, DayOfWeek.Saturday, DayOfWeek.Sunday];

    /// <summary>The first run strictly after <paramref name="afterUtc"/>, in UTC.</summary>
    /// <remarks>
    /// A local time that does not exist that day (clocks go forward across it) runs as many minutes after the
    /// change as it would have been after the hour; a local time that happens twice (clocks go back) runs the first time.
    /// </remarks>
    public DateTime NextAfter(DateTime afterUtc)
    {
        var after = DateTime.SpecifyKind(afterUtc, DateTimeKind.Utc);
        var localDate = DateOnly.FromDateTime(TimeZoneInfo.ConvertTimeFromUtc(after, Zone));
        // A week and a day covers every case, including a run earlier today that has already passed.
        for (var d = -1; d <= 8; d++)
        {
            var date = localDate.AddDays(d);
            if (!Days.Contains(date.DayOfWeek)) continue;
            var run = ToUtc(date.ToDateTime(Time));
            if (run > after) return run;
        }
        throw new InvalidOperationException("A schedule with at least one day always has a next run.");
    }

    private DateTime ToUtc(DateTime local)
    {
        if (Zone.IsAmbiguousTime(local))
            return DateTime.SpecifyKind(local - Zone.GetAmbiguousTimeOffsets(local).Max(), DateTimeKind.Utc);
        if (Zone.IsInvalidTime(local))
            return DateTime.SpecifyKind(local - Zone.GetUtcOffset(local.AddDays(-1)), DateTimeKind.Utc);
        return TimeZoneInfo.ConvertTimeToUtc(local, Zone);
    }

    /// <summary>Reads stored or submitted values; errors are keyed <c>days</c>, <c>time</c> and <c>timeZone</c>.</summary>
    public static ScheduleRule? Parse(IEnumerable<string>? days, string? time, string? zone, Dictionary<string, string[]> errors, string prefix = "schedule.")
    {
        var parsedDays = ParseDays(days);
        if (parsedDays is null) errors[prefix + "days"] = ["Choose days from Mon, Tue, Wed, Thu, Fri, Sat, Sun."];
        else if (parsedDays.Count == 0) errors[prefix + "days"] = ["Choose at least one day."];
        if (!TimeOnly.TryParseExact(time?.Trim(), "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out var at))
            errors[prefix + "time"] = ["A time of day as HH:mm, e.g. 06:00."];
        var tz = FindZone(zone);
        if (tz is null) errors[prefix + "timeZone"] = ["An IANA time zone, e.g. Europe/London."];
        return parsedDays is { Count: > 0 } && tz is not null && !errors.ContainsKey(prefix + "time") ? new ScheduleRule(parsedDays, at, tz) : null;
    }

    /// <summary>The rule of a stored schedule, or null when the stored values are unusable.</summary>
    public static ScheduleRule? FromStored(string days, string time, string zone) => Parse(SplitDays(days), time, zone, []);

    /// <summary>Days as stored: canonical names in week order, comma-separated.</summary>
    public static string FormatDays(IEnumerable<DayOfWeek> days) =>
        string.Join(",", DayValues.Select((d, i) => (d, i)).Where(x => days.Contains(x.d)).Select(x => Names[x.i]));

    public static IReadOnlyList<string> SplitDays(string stored) =>
        stored.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static HashSet<DayOfWeek>? ParseDays(IEnumerable<string>? days)
    {
        var set = new HashSet<DayOfWeek>();
        foreach (var name in days ?? [])
        {
            var i = Array.FindIndex(Names, n => string.Equals(n, name?.Trim(), StringComparison.OrdinalIgnoreCase));
            if (i < 0) return null;
            set.Add(DayValues[i]);
        }
        return set;
    }

    /// <summary>The zone by IANA id; Windows ids and offsets are refused so stored values mean the same everywhere.</summary>
    private static TimeZoneInfo? FindZone(string? id)
    {
        id = id?.Trim();
        if (string.IsNullOrEmpty(id) || id.Length > 100) return null;
        if (!TimeZoneInfo.TryFindSystemTimeZoneById(id, out var zone)) return null;
        return zone.HasIanaId || id == "UTC" ? zone : null;
    }
}
