using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;

namespace Broadsheet.Signup;

/// <summary>
/// A signed first-party cookie listing the addresses this browser has proven it owns (by confirming, or by
/// arriving from a link in one of our emails). Only such a browser may be told an address is already registered.
/// </summary>
public sealed class OwnerProof(IDataProtectionProvider provider)
{
    public const string CookieName = "bs_owner";
    private const int MaxAddresses = 5;
    private readonly IDataProtector _protector = provider.CreateProtector("Broadsheet.Signup.OwnerCookie.v1");

    public bool Proves(HttpRequest request, string normalizedEmail) =>
        Read(request).Contains(EmailAddressRule.Key(normalizedEmail));

    public void Add(HttpContext context, string normalizedEmail)
    {
        var key = EmailAddressRule.Key(normalizedEmail);
        var addresses = Read(context.Request).Where(a => a != key).Prepend(key).Take(MaxAddresses);
        context.Response.Cookies.Append(CookieName, _protector.Protect(string.Join('\n', addresses)), ReaderCookies.Options(context, TimeSpan.FromDays(365)));
    }

    private List<string> Read(HttpRequest request)
    {
        if (!request.Cookies.TryGetValue(CookieName, out var value) || string.IsNullOrEmpty(value)) return [];
        try
        {
            return [.. _protector.Unprotect(value).Split('\n', StringSplitOptions.RemoveEmptyEntries)];
        }
        catch (CryptographicException)
        {
            return [];
        }
    }
}
