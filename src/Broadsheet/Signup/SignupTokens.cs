using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Options;

namespace Broadsheet.Signup;

/// <summary>
/// Signed, encrypted, expiring tokens for links. Each purpose has its own key (and each old form its own protector),
/// so a token minted for one job (say, adding newsletters) is rejected by another (confirming).
/// </summary>
/// <remarks>
/// Confirmation, "more newsletters", unsubscribe and owner links, minted for every sign-up and every newsletter
/// message, are <see cref="CompactLinkTokens"/>; they are read in that form first and then as the Data Protection
/// tokens they used to be, which emails already sent and pages already open carry. Address-change links, minted
/// once per request, remain Data Protection tokens, where its cost does not matter.
/// </remarks>
public sealed class SignupTokens(IDataProtectionProvider provider, IOptions<SignupOptions> options, LinkKey linkKey) : IDisposable
{
    // Built on first use, after startup has read the key; not caching a failure, should anything mint before that.
    private readonly Lazy<CompactLinkTokens> _compact = new(() => new CompactLinkTokens(linkKey.Loaded), LazyThreadSafetyMode.PublicationOnly);
    // Read-only: the links of emails sent, and pages opened, before they became compact tokens.
    private readonly ITimeLimitedDataProtector _confirm = provider.CreateProtector("Broadsheet.Signup.Confirm.v1").ToTimeLimitedDataProtector();
    private readonly ITimeLimitedDataProtector _more = provider.CreateProtector("Broadsheet.Signup.MoreNewsletters.v1").ToTimeLimitedDataProtector();
    private readonly IDataProtector _unsubscribe = provider.CreateProtector("Broadsheet.Unsubscribe.v1");
    private readonly ITimeLimitedDataProtector _owner = provider.CreateProtector("Broadsheet.Signup.OwnerLink.v1").ToTimeLimitedDataProtector();
    private readonly ITimeLimitedDataProtector _addressChange = provider.CreateProtector("Broadsheet.Subscribers.AddressChange.v1").ToTimeLimitedDataProtector();

    /// <summary>How long the "Click here" link after a sign-up may add newsletters for the address.</summary>
    public static readonly TimeSpan MoreNewslettersLifetime = TimeSpan.FromHours(1);

    /// <summary>How long a link in a notice email proves ownership of the address.</summary>
    public static readonly TimeSpan OwnerLinkLifetime = TimeSpan.FromDays(30);

    /// <summary>How long a link that moves a subscriber to a new address may be used.</summary>
    public static readonly TimeSpan AddressChangeLifetime = TimeSpan.FromHours(48);

    /// <summary>A link that confirms the opt-in whose consent record has <paramref name="nonce"/>.</summary>
    public string ForConfirmation(string nonce) => _compact.Value.Confirmation(nonce, DateTimeOffset.UtcNow + options.Value.ConfirmationLifetime);

    public string? ReadConfirmation(string? token) => _compact.Value.ReadConfirmation(token, DateTimeOffset.UtcNow) ?? Unprotect(_confirm, token);

    /// <summary>The "Click here" link after a sign-up, which adds newsletters for <paramref name="email"/> for <see cref="MoreNewslettersLifetime"/>.</summary>
    public string ForMoreNewsletters(string email) => _compact.Value.MoreNewsletters(email, DateTimeOffset.UtcNow + MoreNewslettersLifetime);

    public string? ReadMoreNewsletters(string? token) => _compact.Value.ReadMoreNewsletters(token, DateTimeOffset.UtcNow) ?? Unprotect(_more, token);

    /// <summary>A link that ends one subscription; it never expires, since old emails must keep working.</summary>
    public string ForUnsubscribe(long subscriptionId) => _compact.Value.Unsubscribe(subscriptionId);

    public long? ReadUnsubscribe(string? token) =>
        _compact.Value.ReadUnsubscribe(token) ??
        (long.TryParse(Unprotect(_unsubscribe, token), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var id) ? id : null);

    /// <summary>A link that proves ownership of <paramref name="email"/> for <see cref="OwnerLinkLifetime"/>.</summary>
    public string ForOwnerLink(string email) => ForOwnerLink(email, DateTimeOffset.UtcNow + OwnerLinkLifetime);

    public string ForOwnerLink(string email, DateTimeOffset expires) => _compact.Value.OwnerLink(email, expires);

    public string? ReadOwnerLink(string? token) => _compact.Value.ReadOwnerLink(token, DateTimeOffset.UtcNow) ?? Unprotect(_owner, token);

    /// <summary>A link, sent to the new address, that moves the subscriber there; see <see cref="AddressChangeClaim"/>.</summary>
    public string ForAddressChange(AddressChangeClaim claim) => _addressChange.Protect(JsonSerializer.Serialize(claim), AddressChangeLifetime);

    public AddressChangeClaim? ReadAddressChange(string? token)
    {
        if (Unprotect(_addressChange, token) is not { } json) return null;
        try
        {
            return JsonSerializer.Deserialize<AddressChangeClaim>(json);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public void Dispose()
    {
        if (_compact.IsValueCreated) _compact.Value.Dispose();
    }

    private static string? Unprotect(IDataProtector protector, string? token)
    {
        if (string.IsNullOrWhiteSpace(token) || token.Length > 4096) return null;
        try
        {
            return protector.Unprotect(token);
        }
        catch (CryptographicException)
        {
            return null;
        }
    }
}

/// <summary>
/// What an address-change link asserts: move subscriber <paramref name="SubscriberId"/> from the address whose key is
/// <paramref name="OldKey"/> to <paramref name="NewEmail"/>. It holds only while the subscriber still has the old
/// address and has not changed address since <paramref name="IssuedAt"/>, so a used link cannot be replayed.
/// </summary>
public sealed record AddressChangeClaim(long SubscriberId, string OldKey, string NewEmail, DateTime IssuedAt);
