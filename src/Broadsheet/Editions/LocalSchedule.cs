using System.Globalization;

namespace Broadsheet.Editions;

/// <summary>Turns the date-time and time zone an editor picks into UTC, and a UTC time back into the form's fields.</summary>
public static class LocalSchedule
{
    private const string InputFormat = "yyyy-MM-ddTHH:mm";

    /// <summary>The IANA time zones this machine knows, UTC first.</summary>
    public static IReadOnlyList<string> Zones { get; } =
        ["UTC", .. TimeZoneInfo.GetSystemTimeZones().Select(z => z.Id).Where(id => id != "UTC").Order(StringComparer.Ordinal)];

    public static bool TryToUtc(string? local, string? zone, DateTime now, out DateTime utc, out string? error)
    {
        utc = default;
        error = null;
        if (!DateTime.TryParseExact(local?.Trim(), [InputFormat, InputFormat + ":ss"], CultureInfo.InvariantCulture, DateTimeStyles.None, out var at))
            error = "Give a date and time.";
        else if (!TryZone(zone, out var tz))
            error = "Choose a time zone from the list.";
        else if (tz.IsInvalidTime(at))
            error = $"{at:yyyy-MM-dd HH:mm} does not exist in {tz.Id} (the clocks go forward then).";
        else if ((utc = TimeZoneInfo.ConvertTimeToUtc(at, tz)) <= now)
            error = "That time has passed.";
        return error is null;
    }

    /// <summary>The form's value for a UTC time in <paramref name="zone"/>.</summary>
    public static string ToInput(DateTime utc, string zone) =>
        TryZone(zone, out var tz) ? TimeZoneInfo.ConvertTimeFromUtc(DateTime.SpecifyKind(utc, DateTimeKind.Utc), tz).ToString(InputFormat, CultureInfo.InvariantCulture) : "";

    public static bool TryZone(string? id, out TimeZoneInfo zone)
    {
        zone = TimeZoneInfo.Utc;
        if (string.IsNullOrWhiteSpace(id) || !Zones.Contains(id)) return false;
        zone = TimeZoneInfo.FindSystemTimeZoneById(id);
        return true;
    }
}
