using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.DataProtection;

namespace Broadsheet.Signup;

/// <summary>What a page needs to redraw the module after a no-JavaScript form post (post, redirect, get).</summary>
public sealed record SignupFlashData(SignupState State, string? Email, string? MoreToken, string? Newsletter);

/// <summary>
/// Carries <see cref="SignupFlashData"/> across the redirect in a short-lived encrypted cookie, so the address
/// never appears in a URL or a log line.
/// </summary>
public sealed class SignupFlash(IDataProtectionProvider provider)
{
    public const string CookieName = "bs_signup";
    private readonly ITimeLimitedDataProtector _protector = provider.CreateProtector("Broadsheet.Signup.Flash.v1").ToTimeLimitedDataProtector();

    public void Write(HttpContext context, SignupFlashData data) =>
        context.Response.Cookies.Append(CookieName, _protector.Protect(JsonSerializer.Serialize(data), TimeSpan.FromMinutes(10)), ReaderCookies.Options(context, TimeSpan.FromMinutes(10)));

    public SignupFlashData? Read(HttpRequest request)
    {
        if (!request.Cookies.TryGetValue(CookieName, out var value) || string.IsNullOrEmpty(value)) return null;
        try
        {
            return JsonSerializer.Deserialize<SignupFlashData>(_protector.Unprotect(value));
        }
        catch (Exception ex) when (ex is CryptographicException or JsonException)
        {
            return null;
        }
    }
}
