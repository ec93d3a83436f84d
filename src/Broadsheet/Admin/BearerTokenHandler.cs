using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Broadsheet.Data;
using Microsoft.AspNetCore.Authentication;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Broadsheet.Admin;

/// <summary>
/// Authenticates <c>Authorization: Bearer …</c> for the JSON API: the bootstrap <c>Admin:Token</c> (acts as an owner)
/// or a personal API token (acts with its user's role).
/// </summary>
public sealed class BearerTokenHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, AdminToken bootstrap)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    private static readonly TimeSpan LastUsedResolution = TimeSpan.FromMinutes(5);

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return AuthenticateResult.NoResult();
        var token = header["Bearer ".Length..].Trim();
        if (token.Length is 0 or > 512) return AuthenticateResult.Fail("Invalid token");

        if (bootstrap.Matches(token))
            return Success([new(ClaimTypes.Name, "admin-token"), new(ClaimTypes.Role, nameof(AdminRole.Owner))]);

        var db = Context.RequestServices.GetRequiredService<BroadsheetDb>();
        var hash = ApiTokens.Hash(token);
        var found = await db.ApiTokens.Include(t => t.User).FirstOrDefaultAsync(t => t.Hash == hash && t.RevokedAt == null);
        if (found is null) return AuthenticateResult.Fail("Invalid token");

        var now = DateTime.UtcNow;
        if (found.LastUsedAt is null || now - found.LastUsedAt > LastUsedResolution)
            await db.ApiTokens.Where(t => t.Id == found.Id).ExecuteUpdateAsync(s => s.SetProperty(t => t.LastUsedAt, now));
        return Success([
            new(ClaimTypes.NameIdentifier, found.UserId.ToString()),
            new(ClaimTypes.Name, found.User.Email),
            new(ClaimTypes.Role, found.User.Role.ToString()),
        ]);
    }

    private static AuthenticateResult Success(Claim[] claims) =>
        AuthenticateResult.Success(new AuthenticationTicket(
            new ClaimsPrincipal(new ClaimsIdentity(claims, AdminToken.Scheme, ClaimTypes.Name, ClaimTypes.Role)), AdminToken.Scheme));
}

/// <summary>Creates personal API tokens and hashes presented ones.</summary>
public static class ApiTokens
{
    public const string Prefix = "bs_";

    /// <summary>A new random token; the caller shows it once and stores only <see cref="Hash"/>.</summary>
    public static string Generate() =>
        Prefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
}
