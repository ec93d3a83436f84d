namespace Broadsheet.Signup;

/// <summary>Options shared by the small first-party cookies we set for readers (owner proof, sign-up flash).</summary>
public static class ReaderCookies
{
    public static CookieOptions Options(HttpContext context, TimeSpan lifetime) => new()
    {
        HttpOnly = true,
        Secure = context.Request.IsHttps,
        SameSite = SameSiteMode.Lax,
        IsEssential = true,
        MaxAge = lifetime,
        Path = "/",
    };
}
