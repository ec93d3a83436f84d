using Broadsheet.Editions;

namespace Broadsheet.Tests.Editions;

/// <summary>The next-run arithmetic of newsletter schedules, across daylight-saving changes.</summary>
public sealed class ScheduleRuleTests
{
    private static readonly string[] Weekdays = ["Mon", "Tue", "Wed", "Thu", "Fri"];

    private static ScheduleRule Rule(string[] days, string time, string zone)
    {
        var errors = new Dictionary<string, string[]>();
        var rule = ScheduleRule.Parse(days, time, zone, errors);
        Assert.Empty(errors);
        return rule!;
    }

    private static DateTime Utc(int year, int month, int day, int hour, int minute = 0) => new(year, month, day, hour, minute, 0, DateTimeKind.Utc);

    [Fact]
    public void Six_in_the_morning_in_London_stays_six_when_the_clocks_go_forward_and_back()
    {
        var rule = Rule(Weekdays, "06:00", "Europe/London");
        // Friday 27 March 2026 is in GMT; the clocks go forward on Sunday 29 March; Monday is in BST (UTC+1).
        Assert.Equal(Utc(2026, 3, 27, 6), rule.NextAfter(Utc(2026, 3, 27, 5, 59)));
        Assert.Equal(Utc(2026, 3, 30, 5), rule.NextAfter(Utc(2026, 3, 27, 6)));
        // Back to GMT on Sunday 25 October 2026.
        Assert.Equal(Utc(2026, 10, 23, 5), rule.NextAfter(Utc(2026, 10, 22, 5)));
        Assert.Equal(Utc(2026, 10, 26, 6), rule.NextAfter(Utc(2026, 10, 23, 5)));
    }

    [Fact]
    public void A_time_skipped_by_the_change_runs_after_it_and_a_time_that_happens_twice_runs_once()
    {
        var daily = ScheduleRule.DayNames.ToArray();
        // 01:30 does not exist in London on 29 March 2026 (01:00 GMT becomes 02:00 BST): it runs at 02:30 BST.
        var gap = Rule(daily, "01:30", "Europe/London");
        Assert.Equal(Utc(2026, 3, 29, 1, 30), gap.NextAfter(Utc(2026, 3, 28, 2)));
        Assert.Equal(Utc(2026, 3, 30, 0, 30), gap.NextAfter(Utc(2026, 3, 29, 1, 30)));
        // 01:30 happens twice on 25 October 2026 (BST, then GMT): the first one, and not again that day.
        var twice = Rule(daily, "01:30", "Europe/London");
        Assert.Equal(Utc(2026, 10, 25, 0, 30), twice.NextAfter(Utc(2026, 10, 24, 12)));
        Assert.Equal(Utc(2026, 10, 26, 1, 30), twice.NextAfter(Utc(2026, 10, 25, 0, 30)));
    }

    [Fact]
    public void Days_time_and_zone_are_checked_and_days_come_back_in_week_order()
    {
        var errors = new Dictionary<string, string[]>();
        Assert.Null(ScheduleRule.Parse(["Mon", "Funday"], "6am", "Mars/Olympus_Mons", errors));
        Assert.Equal(["schedule.days", "schedule.time", "schedule.timeZone"], errors.Keys.Order());
        errors.Clear();
        Assert.Null(ScheduleRule.Parse([], "24:00", "GMT Standard Time", errors));
        Assert.Equal(3, errors.Count);

        var rule = Rule(["sun", "Wed", "wed"], "18:45", "America/New_York");
        Assert.Equal("Wed,Sun", ScheduleRule.FormatDays(rule.Days));
        // Sunday 8 March 2026: New York goes from EST (UTC-5) to EDT (UTC-4).
        Assert.Equal(Utc(2026, 3, 8, 22, 45), rule.NextAfter(Utc(2026, 3, 5, 0)));
        Assert.Equal(Utc(2026, 3, 11, 22, 45), rule.NextAfter(Utc(2026, 3, 8, 22, 45)));
        Assert.Null(ScheduleRule.FromStored("", "06:00", "UTC"));
    }
}
