using System.Net.Sockets;
using MailKit;
using MailKit.Net.Smtp;
using MimeKit;

namespace Broadsheet.Mail;

/// <summary>
/// How a failed send is read, the same for transactional mail and newsletter editions: a 5xx reply is the relay's
/// final word, everything else (4xx, timeouts, dropped connections) is retried later with a growing delay.
/// </summary>
public static class SmtpFailures
{
    public static bool IsPermanent(Exception ex) => ex switch
    {
        SmtpCommandException c => (int)c.StatusCode >= 500,
        ParseException or FormatException => true,
        _ => false,
    };

    /// <summary>The connection cannot be used again (dropped, timed out, or the relay said 421 and is closing it).</summary>
    public static bool IsConnectionProblem(Exception ex) =>
        ex is SmtpProtocolException or ServiceNotConnectedException or IOException or SocketException or TimeoutException or OperationCanceledException
        || (ex is SmtpCommandException c && (int)c.StatusCode == 421);

    /// <summary>The relay's reply (e.g. "550 no such user") or the error, short enough to store.</summary>
    public static string Describe(Exception ex)
    {
        var text = ex is SmtpCommandException c ? $"{(int)c.StatusCode} {c.Message}" : $"{ex.GetType().Name}: {ex.Message}";
        return text.Length > 1000 ? text[..1000] : text;
    }

    /// <summary>The wait before attempt <paramref name="attempt"/> + 1: doubles per attempt, capped.</summary>
    public static TimeSpan Backoff(int attempt, TimeSpan baseDelay, TimeSpan maxDelay) =>
        TimeSpan.FromTicks(Math.Min(maxDelay.Ticks, baseDelay.Ticks * (1L << Math.Clamp(attempt - 1, 0, 20))));
}
