using System.Globalization;
using Broadsheet.Data;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Broadsheet.Mail;

/// <summary>
/// The mail queue's hand-written SQL, in one place. A claim on PostgreSQL must lock its rows with
/// <c>FOR UPDATE SKIP LOCKED</c>, which EF Core cannot express: without it two senders claiming at once picked the same
/// rows, the later one waited for the first and then came back empty, and the queue behind them looked drained.
/// Marking a batch sent runs after every batch, and through EF Core's <c>ExecuteUpdate</c> each call built its
/// expression tree, looked up the compiled query and compiled a delegate for the list of ids: about 5 % of the app's CPU
/// under a burst of sign-ups (a profile, 2026-11-27); the statement is the one EF Core made. Every test that sends mail
/// marks it sent through this, on both databases; the claim (PostgreSQL only: SQLite claims through EF Core, one write
/// at a time) runs in every retry and backlog test and in <c>MailClaimTests</c>.
/// </summary>
public static class MailSql
{
    // The bodies and template values go with the claim: a sent message's record is who, what kind, when and its
    // Message-Id, and what it was made of (a live confirmation link among it) is kept nowhere it is not needed.
    private const string MarkSent = """
        UPDATE "OutboundEmails" SET "Status" = 'Sent', "SentAt" = @now, "LastError" = NULL, "Attempts" = "Attempts" + 1,
            "HtmlBody" = '', "TextBody" = '', "TemplateValues" = NULL, "ClaimedUntil" = NULL, "ClaimToken" = NULL
        """;

    /// <summary>
    /// Claims up to <paramref name="limit"/> due, unclaimed, queued messages, oldest due first, for <paramref name="token"/>
    /// until <paramref name="until"/>; returns how many. Senders claiming at the same moment pass over each other's rows.
    /// </summary>
    public static Task<int> ClaimDueOnPostgresAsync(BroadsheetDb db, DateTime now, DateTime until, Guid token, int limit, CancellationToken ct) =>
        db.Database.ExecuteSqlAsync($"""
            UPDATE "OutboundEmails" SET "ClaimedUntil" = {until}, "ClaimToken" = {token}
            WHERE "Id" IN (
                SELECT "Id" FROM "OutboundEmails"
                WHERE "Status" = 'Queued' AND "NextAttemptAt" <= {now} AND ("ClaimedUntil" IS NULL OR "ClaimedUntil" < {now})
                ORDER BY "NextAttemptAt"
                LIMIT {limit}
                FOR UPDATE SKIP LOCKED)
            """, ct);

    /// <summary>Marks the messages <paramref name="ids"/> sent at <paramref name="now"/> and releases their claims, in one statement.</summary>
    public static Task<int> MarkSentAsync(BroadsheetDb db, IReadOnlyList<long> ids, DateTime now) => db.OnPostgres
        ? db.Database.ExecuteSqlRawAsync(MarkSent + """ WHERE "Id" = ANY(@ids)""",
            new NpgsqlParameter<DateTime>("now", now), new NpgsqlParameter<long[]>("ids", [.. ids]))
        // SQLite has no array parameter; the ids are numbers, written into the statement as such.
        : db.Database.ExecuteSqlRawAsync(MarkSent + $""" WHERE "Id" IN ({string.Join(',', ids.Select(id => id.ToString(CultureInfo.InvariantCulture)))})""",
            new SqliteParameter("@now", now));
}
