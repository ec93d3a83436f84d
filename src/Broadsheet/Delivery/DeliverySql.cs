using System.Text.Json;
using Broadsheet.Data;
using Microsoft.EntityFrameworkCore;

namespace Broadsheet.Delivery;

/// <summary>
/// The send engine's hand-written SQL, in one place. EF Core cannot express either statement: a claim must lock
/// and mark rows in one statement (PostgreSQL's <c>FOR UPDATE SKIP LOCKED</c>, so nodes claiming at the same moment
/// pass over each other's rows instead of waiting or double-claiming), and writing an audience batch must be one
/// set-based insert that ignores rows already there (so a batch redone after a crash or a lost lease adds nothing
/// twice). Each statement has a PostgreSQL and a SQLite form; the tests run both.
/// </summary>
public static class DeliverySql
{
    /// <summary>A recipient claimed for sending.</summary>
    public sealed class ClaimedRow
    {
        public long Id { get; set; }
        public long SubscriberId { get; set; }
        public long SubscriptionId { get; set; }
        public int Attempts { get; set; }
    }

    /// <summary>
    /// Marks up to <paramref name="limit"/> due, unclaimed, queued recipients of a sending edition as claimed until
    /// <paramref name="until"/> and returns them. On SQLite there is one process and one writer at a time, so a
    /// conditional update is enough.
    /// </summary>
    public static List<ClaimedRow> Claim(BroadsheetDb db, long editionId, int limit, DateTime now, DateTime until)
    {
        var query = db.OnPostgres
            ? db.Database.SqlQuery<ClaimedRow>($"""
                WITH due AS (
                    SELECT d."Id" FROM "Deliveries" d
                    WHERE d."EditionId" = {editionId} AND d."Status" = 'Queued' AND d."NextAttemptAt" <= {now}
                      AND (d."ClaimedUntil" IS NULL OR d."ClaimedUntil" < {now})
                      AND EXISTS (SELECT 1 FROM "Editions" e WHERE e."Id" = {editionId} AND e."Status" = 'Sending')
                    ORDER BY d."NextAttemptAt"
                    LIMIT {limit}
                    FOR UPDATE SKIP LOCKED)
                UPDATE "Deliveries" AS d SET "ClaimedUntil" = {until}
                FROM due WHERE d."Id" = due."Id"
                RETURNING d."Id", d."SubscriberId", d."SubscriptionId", d."Attempts"
                """)
            : db.Database.SqlQuery<ClaimedRow>($"""
                UPDATE "Deliveries" SET "ClaimedUntil" = {until}
                WHERE "Id" IN (
                    SELECT d."Id" FROM "Deliveries" d
                    WHERE d."EditionId" = {editionId} AND d."Status" = 'Queued' AND d."NextAttemptAt" <= {now}
                      AND (d."ClaimedUntil" IS NULL OR d."ClaimedUntil" < {now})
                      AND EXISTS (SELECT 1 FROM "Editions" e WHERE e."Id" = {editionId} AND e."Status" = 'Sending')
                    ORDER BY d."NextAttemptAt"
                    LIMIT {limit})
                RETURNING "Id", "SubscriberId", "SubscriptionId", "Attempts"
                """);
        return query.ToList();
    }

    /// <summary>Writes one batch of the audience as queued delivery records; recipients that already have one are left alone.</summary>
    public static Task<int> InsertAudienceAsync(BroadsheetDb db, long editionId, IReadOnlyList<DeliveryAudience.Member> batch, DateTime now, CancellationToken ct)
    {
        if (db.OnPostgres)
        {
            var subscribers = batch.Select(m => m.SubscriberId).ToArray();
            var subscriptions = batch.Select(m => m.SubscriptionId).ToArray();
            var emails = batch.Select(m => m.Email).ToArray();
            return db.Database.ExecuteSqlAsync($"""
                INSERT INTO "Deliveries" ("EditionId", "SubscriberId", "SubscriptionId", "Email", "Status", "Attempts", "NextAttemptAt")
                SELECT {editionId}, t.subscriber, t.subscription, t.email, 'Queued', 0, {now}
                FROM unnest({subscribers}, {subscriptions}, {emails}) AS t(subscriber, subscription, email)
                ON CONFLICT ("EditionId", "SubscriberId") DO NOTHING
                """, ct);
        }
        var rows = JsonSerializer.Serialize(batch.Select(m => new object[] { m.SubscriberId, m.SubscriptionId, m.Email }));
        // "WHERE true" tells SQLite's parser that ON CONFLICT belongs to the INSERT, not to a join.
        return db.Database.ExecuteSqlAsync($"""
            INSERT INTO "Deliveries" ("EditionId", "SubscriberId", "SubscriptionId", "Email", "Status", "Attempts", "NextAttemptAt")
            SELECT {editionId}, json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]'), 'Queued', 0, {now}
            FROM json_each({rows}) WHERE true
            ON CONFLICT ("EditionId", "SubscriberId") DO NOTHING
            """, ct);
    }
}
