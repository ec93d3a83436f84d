using Broadsheet.Admin;
using Broadsheet.Data;
using Microsoft.EntityFrameworkCore;

namespace Broadsheet.Subscribers;

/// <summary>
/// What readers do to their own record through our links, kept in the audit log as "the reader" acting on the record
/// (never the address, so nothing there outlives an erasure). The entries also space re-sends of the links we mail.
/// </summary>
public static class ReaderActions
{
    public const string Actor = "the reader";

    public static void Record(BroadsheetDb db, string action, long subscriberId) => AuditLog.Record(db, Actor, action, Target(subscriberId));

    /// <summary>Whether <paramref name="action"/> was recorded for the subscriber after <paramref name="since"/>.</summary>
    public static Task<bool> SinceAsync(BroadsheetDb db, string action, long subscriberId, DateTime since, CancellationToken ct)
    {
        var target = Target(subscriberId);
        return db.AuditEntries.AnyAsync(a => a.At > since && a.Action == action && a.Target == target, ct);
    }

    /// <summary>
    /// Takes the subscriber's row lock for the rest of the caller's transaction (a no-op update), so that concurrent
    /// requests about one subscriber run one after the other and see each other's entries. False if the row is gone.
    /// </summary>
    public static async Task<bool> LockAsync(BroadsheetDb db, long subscriberId, CancellationToken ct) =>
        await db.Subscribers.Where(s => s.Id == subscriberId).ExecuteUpdateAsync(u => u.SetProperty(s => s.Status, s => s.Status), ct) == 1;

    private static string Target(long subscriberId) => $"subscriber #{subscriberId}";
}
