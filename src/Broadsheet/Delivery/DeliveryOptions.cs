using Broadsheet.Mail;

namespace Broadsheet.Delivery;

/// <summary>Newsletter sending settings (section <c>Delivery</c>); documented in the README's settings table.</summary>
public sealed class DeliveryOptions
{
    /// <summary>SMTP connections each node keeps open and sends over in parallel (the pool size).</summary>
    public int Connections { get; set; } = 4;

    /// <summary>Messages per second this node may send; 0 means unlimited. Per node: with N nodes the total is N times this.</summary>
    public int MaxPerSecond { get; set; }

    /// <summary>Messages per rolling hour for the whole site, shared by all nodes through the database; 0 means unlimited.</summary>
    public int MaxPerHour { get; set; }

    /// <summary>Recipients one connection claims at a time. After a kill, at most this × <see cref="Connections"/> per node are sent twice.</summary>
    public int ClaimSize { get; set; } = 100;

    /// <summary>How long a claim holds recipients; after a crash, that node's in-flight recipients are sent again once it runs out.</summary>
    public TimeSpan ClaimTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>First retry delay after a transient failure; it doubles per attempt up to <see cref="MaxRetryDelay"/>.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMinutes(1);
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromHours(1);

    /// <summary>A recipient still failing transiently after this many attempts is marked failed.</summary>
    public int MaxAttempts { get; set; } = 8;

    /// <summary>Relays used in turn. When empty, the relay of <c>Mail:Smtp</c> (or the outbox) per <c>Mail:Transport</c>.</summary>
    public List<SmtpOptions> Relays { get; set; } = [];

    /// <summary>A relay that could not be connected to is left out for this long.</summary>
    public TimeSpan RelayRetryAfter { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Envelope sender for bounces, e.g. <c>bounces@news.example</c>; each message gets <c>bounces+TOKEN@news.example</c> (VERP). Empty: the From address.</summary>
    public string BounceAddress { get; set; } = "";

    /// <summary>How often a node looks for sending editions and due recipients when nothing wakes it.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);
}
