using System.Globalization;

namespace Broadsheet.Editions;

/// <summary>The progress figures as the console shows them: the same text on the page and in the JSON it polls.</summary>
public static class ProgressView
{
    public static Dictionary<string, string> Fields(EditionProgress p)
    {
        var done = p.Sent + p.Failed + p.Skipped;
        return new Dictionary<string, string>
        {
            ["status"] = p.Status,
            ["audience"] = Number(p.Audience),
            ["sent"] = Number(p.Sent),
            ["failed"] = Number(p.Failed),
            ["skipped"] = Number(p.Skipped),
            ["queued"] = Number(p.Queued),
            ["remaining"] = Number(p.Remaining),
            ["rate"] = p.RatePerSecond.ToString("0.0", CultureInfo.InvariantCulture) + " per second",
            ["finish"] = p.EstimatedFinish is { } f ? Time(f) : "—",
            ["started"] = p.StartedAt is { } s ? Time(s) : "—",
            ["finished"] = p.FinishedAt is { } e ? Time(e) : "—",
            ["paused-reason"] = p.PausedReason ?? "",
            ["percent"] = (p.Audience > 0 ? Math.Min(100, 100 * done / p.Audience) : 0).ToString(CultureInfo.InvariantCulture),
        };
    }

    public static string Number(long n) => n.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>A UTC time as the console writes it (the database may hand back times without their kind).</summary>
    public static string Time(DateTime utc) => utc.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + " UTC";
}
