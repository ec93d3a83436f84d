using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace Broadsheet.Signup;

/// <summary>
/// Caps sign-up attempts per target address (<c>Signup:RateLimit:PerAddressPerHour</c>) against subscription bombing.
/// Kept in memory per node: the mail it could trigger is additionally spaced by timestamps in the database.
/// </summary>
public sealed class AddressRateLimiter : IDisposable
{
    private readonly PartitionedRateLimiter<string>? _limiter;

    public AddressRateLimiter(IOptions<SignupOptions> options)
    {
        var perHour = options.Value.RateLimit.PerAddressPerHour;
        if (perHour <= 0) return;
        _limiter = PartitionedRateLimiter.Create<string, string>(key => RateLimitPartition.GetFixedWindowLimiter(key, _ =>
            new FixedWindowRateLimiterOptions { PermitLimit = perHour, Window = TimeSpan.FromHours(1), QueueLimit = 0 }));
    }

    public bool TryAcquire(string normalizedEmail)
    {
        if (_limiter is null) return true;
        using var lease = _limiter.AttemptAcquire(EmailAddressRule.Key(normalizedEmail));
        return lease.IsAcquired;
    }

    public void Dispose() => _limiter?.Dispose();
}
