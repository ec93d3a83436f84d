using Broadsheet.Data;
using Broadsheet.Editions;
using Microsoft.EntityFrameworkCore;

namespace Broadsheet.Delivery;

/// <summary>
/// Writes an edition's audience as delivery records, in keyset batches by subscriber id, before and while it is sent.
/// One node at a time holds the edition's lease; each batch commits together with the cursor that it advanced, so a
/// crash redoes at most the batch in flight (and the unique index makes redoing it harmless).
/// </summary>
public sealed class AudienceWriter(IServiceScopeFactory scopes, SqliteWriteGate gate, ILogger<AudienceWriter> logger)
{
    public const int BatchSize = 2000;
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Writes the rest of the audience if this node gets the lease; returns when it is complete, when the edition stops
    /// sending or when the lease went to another node. <paramref name="written"/> is called after each batch commits.
    /// </summary>
    public async Task WriteAsync(long editionId, string node, Action written, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<BroadsheetDb>();
        if (!await TakeLeaseAsync(db, editionId, node, ct)) return;
        while (true)
        {
            db.ChangeTracker.Clear();
            var edition = await db.Editions.AsNoTracking().FirstAsync(e => e.Id == editionId, ct);
            if (edition.Status != EditionStatus.Sending || edition.AudienceComplete || edition.LeaseOwner != node) return;

            var audience = await DeliveryAudience.QueryAsync(db, edition, ct);
            if (audience is null)
            {
                await scope.ServiceProvider.GetRequiredService<EditionActions>()
                    .PauseAsync(editionId, "The segment this edition is sent to no longer exists; choose another and send again.", ct);
                return;
            }
            if (edition.AudienceCursor == 0 && edition.AudienceSize == 0)
            {
                // Started some other way than EditionActions.SendNowAsync: count now, so progress has a total.
                var size = await audience.LongCountAsync(ct);
                await db.Editions.Where(e => e.Id == editionId && e.AudienceSize == 0).ExecuteUpdateAsync(u => u.SetProperty(e => e.AudienceSize, size), ct);
            }
            var cursor = edition.AudienceCursor;
            var batch = await audience.Where(m => m.SubscriberId > cursor).OrderBy(m => m.SubscriberId).Take(BatchSize).ToListAsync(ct);
            var complete = batch.Count < BatchSize;
            var next = batch.Count > 0 ? batch[^1].SubscriberId : cursor;
            var now = DateTime.UtcNow;
            string? owner = complete ? null : node;
            DateTime? until = complete ? null : now + Lease;

            using (await gate.EnterAsync(db, ct))
            {
                await using var tx = await db.Database.BeginTransactionAsync(ct);
                if (batch.Count > 0) await DeliverySql.InsertAudienceAsync(db, editionId, batch, now, ct);
                // Only the lease holder moves the cursor, and only from where it read it: a node that lost the lease rolls back.
                var moved = await db.Editions
                    .Where(e => e.Id == editionId && e.LeaseOwner == node && e.AudienceCursor == cursor && e.Status == EditionStatus.Sending)
                    .ExecuteUpdateAsync(u => u
                        .SetProperty(e => e.AudienceCursor, next)
                        .SetProperty(e => e.AudienceComplete, complete)
                        .SetProperty(e => e.LeaseOwner, owner)
                        .SetProperty(e => e.LeaseUntil, until), ct);
                if (moved == 0)
                {
                    await tx.RollbackAsync(ct);
                    return;
                }
                await tx.CommitAsync(ct);
            }
            written();
            if (complete)
            {
                logger.LogInformation("Edition {Id}: every recipient is queued (cursor {Cursor}).", editionId, next);
                return;
            }
        }
    }

    private async Task<bool> TakeLeaseAsync(BroadsheetDb db, long editionId, string node, CancellationToken ct)
    {
        var now = DateTime.UtcNow;
        using (await gate.EnterAsync(db, ct))
        {
            return await db.Editions
                .Where(e => e.Id == editionId && e.Status == EditionStatus.Sending && !e.AudienceComplete
                    && (e.LeaseUntil == null || e.LeaseUntil < now || e.LeaseOwner == node))
                .ExecuteUpdateAsync(u => u.SetProperty(e => e.LeaseOwner, node).SetProperty(e => e.LeaseUntil, now + Lease), ct) == 1;
        }
    }
}
