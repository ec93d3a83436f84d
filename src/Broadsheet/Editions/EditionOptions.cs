namespace Broadsheet.Editions;

/// <summary>Edition settings (section <c>Editions</c>).</summary>
public sealed class EditionOptions
{
    /// <summary>How often scheduled editions and newsletter schedules are checked; a run starts at most this late.</summary>
    public TimeSpan SchedulePollInterval { get; set; } = TimeSpan.FromSeconds(5);
}
