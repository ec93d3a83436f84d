namespace Broadsheet.Mail;

/// <summary>Mail settings (section <c>Mail</c>).</summary>
public sealed class MailOptions
{
    /// <summary><c>outbox</c> writes .eml files under the data folder; <c>smtp</c> sends through a relay.</summary>
    public string Transport { get; set; } = "outbox";

    public string From { get; set; } = "The Broadsheet <newsletters@localhost>";
    public SmtpOptions Smtp { get; set; } = new();

    /// <summary>First retry delay after a transient failure; it doubles per attempt up to <see cref="MaxRetryDelay"/>.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(30);
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromHours(1);

    /// <summary>A message still failing transiently after this many attempts is marked failed.</summary>
    public int MaxAttempts { get; set; } = 20;

    /// <summary>
    /// How many batches of transactional mail the worker may send at once, each over its own relay connection: one
    /// sender, and up to this many less one helpers while mail piles up (under a burst of sign-ups one falls behind).
    /// </summary>
    public int Senders { get; set; } = 4;

    /// <summary>How often the worker looks for due mail when nothing wakes it.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(2);
}

/// <summary>The SMTP relay (section <c>Mail:Smtp</c>).</summary>
public sealed class SmtpOptions
{
    public string Host { get; set; } = "localhost";
    public int Port { get; set; } = 25;
    public string Username { get; set; } = "";
    public string Password { get; set; } = "";

    /// <summary><c>none</c>, <c>starttls</c> or <c>tls</c>.</summary>
    public string Security { get; set; } = "none";

    /// <summary><see cref="Security"/> as MailKit's option, read the same way by both SMTP clients (anything else is none).</summary>
    internal MailKit.Security.SecureSocketOptions SecureSocket => Security.Trim().ToLowerInvariant() switch
    {
        "tls" => MailKit.Security.SecureSocketOptions.SslOnConnect,
        "starttls" => MailKit.Security.SecureSocketOptions.StartTls,
        _ => MailKit.Security.SecureSocketOptions.None,
    };

    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How the relay's TLS certificate is checked; null (the default, and the only choice in configuration) is the system's trust store.</summary>
    internal System.Net.Security.RemoteCertificateValidationCallback? CertificateValidation { get; init; }
}
