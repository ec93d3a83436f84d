using System.Security.Cryptography;

namespace Broadsheet.Mail;

/// <summary>Message-Ids for queued mail: unique across nodes and restarts, cheap to make.</summary>
public static class MessageIds
{
    // A Message-Id must be unique, not unpredictable. MimeKit's generator draws from the system's cryptographic random
    // source for every id (an OpenSSL call, about 1.5 % of the app's CPU under a burst of sign-ups); here each process
    // draws 64 random bits once and then counts, with the time in front in case a process's draw repeats.
    private static readonly string Prefix = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
    private static long _counter;

    /// <summary>A new id for a message from <paramref name="domain"/>, without angle brackets (as MimeKit's).</summary>
    public static string New(string domain) => $"{DateTime.UtcNow.Ticks:x}.{Prefix}.{Interlocked.Increment(ref _counter):x}@{domain}";
}
