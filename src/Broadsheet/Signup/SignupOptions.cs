namespace Broadsheet.Signup;

/// <summary>Sign-up settings (section <c>Signup</c>).</summary>
public sealed class SignupOptions
{
    /// <summary>When the "already registered" state may be shown: proven (default), always or never.</summary>
    public RevealExisting RevealExisting { get; set; } = RevealExisting.Proven;

    /// <summary>Whether consent records keep the reader's IP address.</summary>
    public bool RecordIp { get; set; } = true;

    /// <summary>Origins (scheme://host[:port]) of the publisher's other sites allowed to embed and submit the module.</summary>
    public string[] AllowedOrigins { get; set; } = [];

    public SignupRateLimitOptions RateLimit { get; set; } = new();

    /// <summary>Minimum time between two confirmation emails for the same subscription.</summary>
    public TimeSpan ConfirmationResendInterval { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Minimum time between two "you are already subscribed" emails for the same subscription.</summary>
    public TimeSpan ExistingNoticeInterval { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How long confirmation links stay valid.</summary>
    public TimeSpan ConfirmationLifetime { get; set; } = TimeSpan.FromHours(48);

    public SignupTexts Texts { get; set; } = new();
}

/// <summary>Abuse limits; 0 turns one off.</summary>
public sealed class SignupRateLimitOptions
{
    public int PerIpPerMinute { get; set; } = 20;
    public int PerAddressPerHour { get; set; } = 5;
}

/// <summary>Who may see the "already registered" state.</summary>
public enum RevealExisting { Proven, Always, Never }
