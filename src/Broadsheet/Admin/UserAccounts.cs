using System.Security.Cryptography;
using Broadsheet.Data;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace Broadsheet.Admin;

/// <summary>Console accounts: creation, password checks with lockout, password changes that end other sessions.</summary>
public sealed class UserAccounts(BroadsheetDb db)
{
    public const int MaxFailedSignIns = 5;
    public static readonly TimeSpan LockoutDuration = TimeSpan.FromMinutes(15);
    public const int MinPasswordLength = 12;
    private static readonly PasswordHasher<AdminUser> Hasher = new();

    /// <summary>Outcome of a sign-in attempt.</summary>
    public enum SignInResult { Success, Failed, LockedOut }

    public async Task<(SignInResult Result, AdminUser? User)> SignInAsync(string? email, string? password, CancellationToken ct)
    {
        var key = (email ?? "").Trim().ToLowerInvariant();
        var user = key.Length == 0 ? null : await db.AdminUsers.FirstOrDefaultAsync(u => u.NormalizedEmail == key, ct);
        var now = DateTime.UtcNow;
        if (user is null)
        {
            Hasher.HashPassword(new AdminUser { Email = "", NormalizedEmail = "" }, password ?? ""); // same work as a real check: no timing oracle
            return (SignInResult.Failed, null);
        }
        if (user.LockedUntil > now) return (SignInResult.LockedOut, null);

        var verdict = string.IsNullOrEmpty(password) ? PasswordVerificationResult.Failed : Hasher.VerifyHashedPassword(user, user.PasswordHash, password);
        if (verdict == PasswordVerificationResult.Failed)
        {
            user.FailedSignIns++;
            var locked = user.FailedSignIns >= MaxFailedSignIns;
            if (locked)
            {
                user.LockedUntil = now + LockoutDuration;
                user.FailedSignIns = 0;
            }
            AuditLog.Record(db, user.Email, locked ? "signin.lockout" : "signin.failed");
            await db.SaveChangesAsync(ct);
            return (locked ? SignInResult.LockedOut : SignInResult.Failed, null);
        }

        if (verdict == PasswordVerificationResult.SuccessRehashNeeded) user.PasswordHash = Hasher.HashPassword(user, password!);
        user.FailedSignIns = 0;
        user.LockedUntil = null;
        user.LastSignInAt = now;
        AuditLog.Record(db, user.Email, "signin");
        await db.SaveChangesAsync(ct);
        return (SignInResult.Success, user);
    }

    /// <summary>Adds a user; returns the password (generated when none is given) so it can be shown once.</summary>
    public async Task<(AdminUser User, string Password)> CreateAsync(string email, AdminRole role, string? password, string actor, CancellationToken ct)
    {
        var key = email.Trim().ToLowerInvariant();
        if (!Signup.EmailAddressRule.TryNormalize(email, out var normalized)) throw new ArgumentException("That is not a valid email address.");
        if (await db.AdminUsers.AnyAsync(u => u.NormalizedEmail == key, ct)) throw new ArgumentException("A user with that email already exists.");
        password = string.IsNullOrEmpty(password) ? GeneratePassword() : password;
        CheckPassword(password);

        var user = new AdminUser { Email = normalized, NormalizedEmail = normalized.ToLowerInvariant(), Role = role, CreatedAt = DateTime.UtcNow };
        user.PasswordHash = Hasher.HashPassword(user, password);
        db.AdminUsers.Add(user);
        AuditLog.Record(db, actor, "user.add", user.Email, $"role={role}");
        await db.SaveChangesAsync(ct);
        return (user, password);
    }

    /// <summary>Sets a new password and a new security stamp, which signs the user out everywhere else.</summary>
    public async Task ChangePasswordAsync(AdminUser user, string newPassword, string actor, CancellationToken ct)
    {
        CheckPassword(newPassword);
        user.PasswordHash = Hasher.HashPassword(user, newPassword);
        user.SecurityStamp = Guid.NewGuid().ToString("N");
        user.FailedSignIns = 0;
        user.LockedUntil = null;
        AuditLog.Record(db, actor, "user.password", user.Email);
        await db.SaveChangesAsync(ct);
    }

    public static bool VerifyPassword(AdminUser user, string password) =>
        Hasher.VerifyHashedPassword(user, user.PasswordHash, password) != PasswordVerificationResult.Failed;

    public static void CheckPassword(string password)
    {
        if (password.Length < MinPasswordLength) throw new ArgumentException($"A password needs at least {MinPasswordLength} characters.");
        if (password.Length > 512) throw new ArgumentException("That password is too long.");
    }

    public static string GeneratePassword() =>
        Convert.ToBase64String(RandomNumberGenerator.GetBytes(15)).Replace('+', '-').Replace('/', '_');
}
