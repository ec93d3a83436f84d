using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Broadsheet.Admin;

/// <summary>
/// The bootstrap bearer token of the admin API: <c>Admin:Token</c>, or one generated on first start, kept in
/// DATA/admin-token and printed once.
/// </summary>
public sealed class AdminToken
{
    public const string Scheme = "AdminToken";
    /// <summary>The policy of the admin API endpoints that change content.</summary>
    public const string Policy = Policies.Editor;
    private readonly byte[] _hash;

    private AdminToken(string token) => _hash = SHA256.HashData(Encoding.UTF8.GetBytes(token));

    public static AdminToken Resolve(IConfiguration config, string dataPath)
    {
        var configured = config["Admin:Token"];
        if (!string.IsNullOrWhiteSpace(configured)) return new AdminToken(configured.Trim());

        var file = Path.Combine(dataPath, "admin-token");
        if (File.Exists(file)) return new AdminToken(File.ReadAllText(file).Trim());

        var token = Base64Url(RandomNumberGenerator.GetBytes(32));
        Directory.CreateDirectory(dataPath);
        File.WriteAllText(file, token);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        // Printed to the console once, never logged: this is the only time it is shown.
        Console.WriteLine($"Admin API token (kept in {file}; shown only this once): {token}");
        return new AdminToken(token);
    }

    public bool Matches(string candidate) =>
        CryptographicOperations.FixedTimeEquals(_hash, SHA256.HashData(Encoding.UTF8.GetBytes(candidate)));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

