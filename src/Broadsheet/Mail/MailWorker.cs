using Broadsheet.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using MimeKit;

namespace Broadsheet.Mail;

/// <summary>
/// Sends queued transactional mail. State lives only in the database: a message is claimed for a few minutes,
/// sent, then marked; a crash mid-send leaves the claim to expire and the message is sent again later.
/// </summary>
public sealed class MailWorker(
    IServiceScopeFactory scopes, IMailTransport transport, MailSignal signal,
    IOptions<MailOptions> options, ILogger<MailWorker> logger) : BackgroundService
{
    private const int BatchSize = 50;

    /// <summary>Sent messages are recorded every few messages, in one statement: after a crash at most this many are sent twice.</summary>
    private const int SaveEvery = 10;
    private static readonly TimeSpan ClaimFor = TimeSpan.FromMinutes(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var sent = 0;
            try
            {
                sent = await SendDueAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // Usually the database is unreachable; nothing is lost, the queue is read again on the next round.
                logger.LogWarning("Mail queue round failed: {Error}", ex.Message);
            }
            if (sent == 0)
            {
                try { await signal.WaitAsync(options.Value.PollInterval, stoppingToken); }
                catch (OperationCanceledException) { return; }
            }
        }
    }

    /// <summary>Claims and sends one batch of due messages; returns how many it handled.</summary>
    public async Task<int> SendDueAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<BroadsheetDb>();
        var batch = await ClaimAsync(db, ct);
        if (batch.Count == 0) return 0;

        var from = MailboxAddress.Parse(options.Value.From);
        IMailSession? session = null;
        var sent = new List<long>(SaveEvery);
        var done = 0;
        try
        {
            foreach (var email in batch)
            {
                try
                {
                    session ??= await transport.OpenAsync(ct);
                    await session.SendAsync(ToMime(email, from), ct);
                    sent.Add(email.Id);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
                {
                    await RecordFailureAsync(db, email, ex);
                    if (SmtpFailures.IsConnectionProblem(ex) && session is not null)
                    {
                        await session.DisposeAsync();
                        session = null;
                    }
                }
                done++;
                if (sent.Count == SaveEvery) await RecordSentAsync(db, sent);
            }
            await RecordSentAsync(db, sent);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Shutting down: record what was sent, and hand back the rest so the next start need not wait for the claim to run out.
            await RecordSentAsync(db, sent);
            var unsent = batch.Skip(done).Select(m => m.Id).ToList();
            await db.OutboundEmails.Where(m => unsent.Contains(m.Id))
                .ExecuteUpdateAsync(u => u.SetProperty(m => m.ClaimedUntil, (DateTime?)null).SetProperty(m => m.ClaimToken, (Guid?)null), CancellationToken.None);
            throw;
        }
        finally
        {
            if (session is not null) await session.DisposeAsync();
        }
        return batch.Count;
    }

    /// <summary>
    /// Claims up to a batch of due messages in one conditional UPDATE and reads back exactly those by a fresh token. The
    /// condition is re-checked row by row, so when two nodes race for a row only the first gets it.
    /// </summary>
    private static async Task<List<OutboundEmail>> ClaimAsync(BroadsheetDb db, CancellationToken ct)
    {
        var now = DateTime.UtcNow;
        var until = now + ClaimFor;
        var token = Guid.NewGuid();
        var due = db.OutboundEmails
            .Where(m => m.Status == OutboundEmailStatus.Queued && m.NextAttemptAt <= now && (m.ClaimedUntil == null || m.ClaimedUntil < now))
            .OrderBy(m => m.NextAttemptAt).Select(m => m.Id).Take(BatchSize);
        var claimed = await db.OutboundEmails
            .Where(m => due.Contains(m.Id) && m.Status == OutboundEmailStatus.Queued && (m.ClaimedUntil == null || m.ClaimedUntil < now))
            .ExecuteUpdateAsync(s => s.SetProperty(m => m.ClaimedUntil, until).SetProperty(m => m.ClaimToken, token), ct);
        return claimed == 0 ? [] : await db.OutboundEmails.AsNoTracking().Where(m => m.ClaimToken == token).OrderBy(m => m.Id).ToListAsync(ct);
    }

    /// <summary>Marks the messages sent and releases their claim in one statement, then forgets them.</summary>
    private static async Task RecordSentAsync(BroadsheetDb db, List<long> sent)
    {
        if (sent.Count == 0) return;
        var now = DateTime.UtcNow;
        await db.OutboundEmails.Where(m => sent.Contains(m.Id)).ExecuteUpdateAsync(u => u
            .SetProperty(m => m.Status, OutboundEmailStatus.Sent).SetProperty(m => m.SentAt, now).SetProperty(m => m.LastError, (string?)null)
            .SetProperty(m => m.Attempts, m => m.Attempts + 1)
            .SetProperty(m => m.ClaimedUntil, (DateTime?)null).SetProperty(m => m.ClaimToken, (Guid?)null), CancellationToken.None);
        sent.Clear();
    }

    /// <summary>Records a failed attempt: failed for good (5xx, or too many attempts), or due again after a backoff.</summary>
    private async Task RecordFailureAsync(BroadsheetDb db, OutboundEmail email, Exception ex)
    {
        var o = options.Value;
        var attempt = email.Attempts + 1;
        var error = SmtpFailures.Describe(ex);
        var status = OutboundEmailStatus.Queued;
        var next = email.NextAttemptAt;
        if (SmtpFailures.IsPermanent(ex) || attempt >= o.MaxAttempts)
        {
            status = OutboundEmailStatus.Failed;
            logger.LogWarning("Mail {Id} ({Kind}) failed for good after {Attempts} attempt(s): {Error}", email.Id, email.Kind, attempt, error);
        }
        else
        {
            var delay = SmtpFailures.Backoff(attempt, o.RetryBaseDelay, o.MaxRetryDelay);
            next = DateTime.UtcNow + delay;
            logger.LogInformation("Mail {Id} ({Kind}) will be retried in {Delay}: {Error}", email.Id, email.Kind, delay, error);
        }
        await db.OutboundEmails.Where(m => m.Id == email.Id).ExecuteUpdateAsync(u => u
            .SetProperty(m => m.Status, status).SetProperty(m => m.NextAttemptAt, next).SetProperty(m => m.LastError, error)
            .SetProperty(m => m.Attempts, attempt)
            .SetProperty(m => m.ClaimedUntil, (DateTime?)null).SetProperty(m => m.ClaimToken, (Guid?)null), CancellationToken.None);
    }

    internal static MimeMessage ToMime(OutboundEmail email, MailboxAddress from)
    {
        var message = new MimeMessage
        {
            Subject = email.Subject,
            MessageId = email.MessageId,
            Date = new DateTimeOffset(email.CreatedAt, TimeSpan.Zero),
            Body = new BodyBuilder { HtmlBody = email.HtmlBody, TextBody = email.TextBody }.ToMessageBody(),
        };
        message.From.Add(new MailboxAddress(from.Name, from.Address)); // a shared address would keep every message alive (MimeKit subscribes to it)
        message.To.Add(MailboxAddress.Parse(email.ToAddress));
        message.Headers.Add("Auto-Submitted", "auto-generated");
        return message;
    }
}
