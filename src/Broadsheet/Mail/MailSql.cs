using System.Globalization;
using Broadsheet.Data;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Broadsheet.Mail;

/// <summary>
/// The mail queue's hand-written SQL, in one place. Marking a batch sent runs after every batch, and through EF Core's
/// <c>ExecuteUpdate</c> each call built its expression tree, looked up the compiled query and compiled a delegate for
/// the list of ids: about 5 % of the app's CPU under a burst of sign-ups (a profile, 2026-11-27). The statement is the
/// one EF Core made. Every test that sends mail runs it, on both databases.
/// </summary>
public static class MailSql
{
    // The bodies go with the claim: a sent message's record is who, what kind, when and its Message-Id, and the bodies
    // (a live confirmation link among them) are kept nowhere they are not needed.
    private const string MarkSent = """
        UPDATE "OutboundEmails" SET "Status" = 'Sent', "SentAt" = @now, "LastError" = NULL, "Attempts" = "Attempts" + 1,
            "HtmlBody" = '', "TextBody" = '', "ClaimedUntil" = NULL, "ClaimToken" = NULL
        """;

    /// <summary>Marks the messages <paramref name="ids"/> sent at <paramref name="now"/> and releases their claims, in one statement.</summary>
    public static Task<int> MarkSentAsync(BroadsheetDb db, IReadOnlyList<long> ids, DateTime now) => db.OnPostgres
        ? db.Database.ExecuteSqlRawAsync(MarkSent + """ WHERE "Id" = ANY(@ids)""",
            new NpgsqlParameter<DateTime>("now", now), new NpgsqlParameter<long[]>("ids", [.. ids]))
        // SQLite has no array parameter; the ids are numbers, written into the statement as such.
        : db.Database.ExecuteSqlRawAsync(MarkSent + $""" WHERE "Id" IN ({string.Join(',', ids.Select(id => id.ToString(CultureInfo.InvariantCulture)))})""",
            new SqliteParameter("@now", now));
}
