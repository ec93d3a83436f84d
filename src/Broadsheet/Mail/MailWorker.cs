using Broadsheet.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using MimeKit;

namespace Broadsheet.Mail;

/// <summary>
/// Sends queued transactional mail. State lives only in the database: a message is claimed for a few minutes,
/// sent, then marked; a crash mid-send leaves the claim to expire and the message is sent again later. Mail this node
/// queued arrives already claimed through <see cref="MailHandoff"/>; everything else (other writers' mail, retries,
/// claims that ran out) is claimed from the table on a wake-up or every <see cref="MailOptions.PollInterval"/>, and
/// again at once while claims come back full.
/// </summary>
public sealed class MailWorker(
    IServiceScopeFactory scopes, IMailTransport transport, MailSignal signal, MailHandoff handoff, MailQueue queue, SqliteWriteGate writeGate,
    IOptions<MailOptions> options, ILogger<MailWorker> logger) : BackgroundService
{
    private const int BatchSize = 50;

    private static readonly TimeSpan ClaimFor = TimeSpan.FromMinutes(5);

    /// <summary>How long a busy worker waits for a fuller batch of handed mail: about a batch at 2,500 sign-ups/s.</summary>
    private static readonly TimeSpan Linger = TimeSpan.FromMilliseconds(20);

    /// <summary>Released by the lead sender when it sees more waiting than it can send in one batch.</summary>
    private readonly SemaphoreSlim _help = new(0, int.MaxValue);

    /// <summary>Whether the last claim from the table came back full, i.e. more is due there.</summary>
    private volatile bool _dueBacklog;

    /// <summary>Writes each message's bytes; made on first use, from <see cref="MailOptions.From"/>.</summary>
    private TransactionalMessage? _message;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // One lead sender, and helpers it calls in when mail piles up. A sender waits on the database and the relay
        // between batches, and under a burst of sign-ups each of its continuations queued behind every request's: one
        // alone sent about a thousand messages a second while the sign-ups queued two or three thousand (measured
        // 2026-11-27). Helpers join only with a full batch waiting, so that at an ordinary pace batches stay full and
        // each costs one statement.
        var helpers = Math.Max(1, options.Value.Senders) - 1;
        await Task.WhenAll([
            Task.Run(() => LeadAsync(helpers, stoppingToken), CancellationToken.None),
            .. Enumerable.Range(0, helpers).Select(_ => Task.Run(() => HelpAsync(stoppingToken), CancellationToken.None))]);
        await HandBackAsync();
    }

    private async Task LeadAsync(int helpers, CancellationToken stoppingToken)
    {
        var sincePoll = System.Diagnostics.Stopwatch.StartNew();
        var poll = true;
        var sent = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            var busy = sent > 0;
            sent = 0;
            try
            {
                // Right after a round that sent handed mail, a moment for more to arrive: under a burst of sign-ups
                // rounds of a handful each paid a scope, a connection and a database statement per handful.
                if (busy && handoff.Waiting < BatchSize) await Task.Delay(Linger, stoppingToken);
                sent = await SendHandedAsync(stoppingToken);
                if (signal.TakeQueued() || poll || _dueBacklog || sincePoll.Elapsed >= options.Value.PollInterval)
                {
                    sincePoll.Restart();
                    sent += await SendDueAsync(stoppingToken);
                    poll = false;
                }
                if (handoff.Waiting >= BatchSize || _dueBacklog) CallForHelp(helpers);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                // Usually the database is unreachable; nothing is lost, the queue is read again on the next round.
                logger.LogWarning("Mail queue round failed: {Error}", ex.Message);
            }
            if (sent == 0)
            {
                try { poll = !await signal.WaitAsync(options.Value.PollInterval, stoppingToken); }
                catch (OperationCanceledException) { break; }
            }
        }
    }

    private void CallForHelp(int helpers)
    {
        if (_help.CurrentCount < helpers) _help.Release();
    }

    /// <summary>A helper sends full batches, handed or due, for as long as there are any, then waits to be called again.</summary>
    private async Task HelpAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await _help.WaitAsync(stoppingToken);
                while (true)
                {
                    var sent = handoff.Waiting >= BatchSize ? await SendHandedAsync(stoppingToken) : 0;
                    if (sent == 0 && _dueBacklog) sent = await SendDueAsync(stoppingToken);
                    if (sent < BatchSize) break;
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                logger.LogWarning("Mail queue round failed: {Error}", ex.Message);
            }
        }
    }

    /// <summary>Sends one batch of the mail handed over in memory; returns how many it handled.</summary>
    public async Task<int> SendHandedAsync(CancellationToken ct)
    {
        var batch = handoff.Take(BatchSize, transport.Timeout + TimeSpan.FromSeconds(30));
        if (batch.Count == 0) return 0;
        await using var scope = scopes.CreateAsyncScope();
        await SendAsync(scope.ServiceProvider.GetRequiredService<BroadsheetDb>(), batch, ct);
        return batch.Count;
    }

    /// <summary>Claims and sends one batch of due messages from the table; returns how many it handled.</summary>
    public async Task<int> SendDueAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<BroadsheetDb>();
        var batch = await ClaimAsync(db, ct);
        // A full batch: more is due (mail queued beyond what fits in memory, or left by a stopped node), so it is
        // claimed again at once, not a poll interval later.
        _dueBacklog = batch.Count == BatchSize;
        if (batch.Count == 0) return 0;
        await SendAsync(db, batch, ct);
        return batch.Count;
    }

    /// <summary>
    /// Sends a batch, then records it: sent in one statement (so after a crash at most a batch is sent twice),
    /// failures one by one, and on shutdown the untried rest handed back so the next start need not wait for the claim.
    /// </summary>
    private async Task SendAsync(BroadsheetDb db, List<OutboundEmail> batch, CancellationToken ct)
    {
        // The session blocks (with a pipelining relay one round trip per message, each message's end going out with
        // the next one's envelope), so a batch goes from a thread of its own rather than holding a pool thread.
        var outcome = await Task.Factory.StartNew(() => SendBlocking(batch, ct), CancellationToken.None,
            TaskCreationOptions.LongRunning, TaskScheduler.Default);
        await RecordSentAsync(db, outcome.Sent);
        foreach (var (email, error) in outcome.Failed) await RecordFailureAsync(db, email, error);
        if (outcome.Tried < batch.Count)
        {
            await ReleaseAsync(db, batch.Skip(outcome.Tried).Select(m => m.Id).ToList());
            ct.ThrowIfCancellationRequested();
        }
    }

    /// <summary>What became of a batch at the relay: the ids sent, the failures, and how many were tried (the rest were not).</summary>
    private sealed record BatchOutcome(List<long> Sent, List<(OutboundEmail Email, Exception Error)> Failed, int Tried);

    private BatchOutcome SendBlocking(List<OutboundEmail> batch, CancellationToken ct)
    {
        var writer = _message ??= new TransactionalMessage(MailboxAddress.Parse(options.Value.From));
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(16 * 1024); // each message in turn: sent before the next is written
        var sent = new List<long>(batch.Count);
        var failed = new List<(OutboundEmail, Exception)>();
        IMailSession? session = null;
        var tried = 0;
        try
        {
            for (; tried < batch.Count && !ct.IsCancellationRequested; tried++)
            {
                var email = batch[tried];
                try
                {
                    // Mail read from the table is rendered again from its values here (a template that fails: a failed try).
                    var bodies = queue.Bodies(email);
                    session ??= transport.Open(ct);
                    var message = writer.Write(email, bodies, buffer);
                    (string, string)? next = tried + 1 < batch.Count ? (writer.EnvelopeFrom, batch[tried + 1].ToAddress) : null;
                    session.Send(message.Span, writer.EnvelopeFrom, email.ToAddress, next, ct);
                    sent.Add(email.Id);
                }
                catch (Exception) when (ct.IsCancellationRequested)
                {
                    break; // shutting down mid-message: it counts as untried and is handed back
                }
                catch (Exception ex)
                {
                    failed.Add((email, ex));
                    // A broken connection, or one that still waits for a message whose envelope went ahead: a new one.
                    if (SmtpFailures.IsConnectionProblem(ex) || session is PipelinedSmtpSession { HasAnnounced: true })
                    {
                        session?.Close();
                        session = null;
                    }
                }
            }
        }
        finally
        {
            session?.Close();
        }
        return new BatchOutcome(sent, failed, tried);
    }

    /// <summary>On shutdown, releases the claims of handed mail not yet sent, so any node sends it at once instead of after the claim.</summary>
    private async Task HandBackAsync()
    {
        var unsent = handoff.Take(int.MaxValue, TimeSpan.Zero).Select(m => m.Id).ToList();
        if (unsent.Count == 0) return;
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            await ReleaseAsync(scope.ServiceProvider.GetRequiredService<BroadsheetDb>(), unsent);
        }
        catch (Exception ex)
        {
            logger.LogWarning("Could not hand back {Count} unsent message(s); they are sent when their claim runs out: {Error}", unsent.Count, ex.Message);
        }
    }

    private async Task ReleaseAsync(BroadsheetDb db, List<long> ids)
    {
        var now = DateTime.UtcNow;
        using var gate = await writeGate.EnterAsync(db, CancellationToken.None);
        await db.OutboundEmails.Where(m => ids.Contains(m.Id)).ExecuteUpdateAsync(u => u
            .SetProperty(m => m.ClaimedUntil, (DateTime?)null).SetProperty(m => m.ClaimToken, (Guid?)null).SetProperty(m => m.NextAttemptAt, now), CancellationToken.None);
    }

    /// <summary>
    /// Claims up to a batch of due messages in one UPDATE and reads back exactly those by a fresh token. On PostgreSQL
    /// senders and nodes claiming at once get different rows (<see cref="MailSql"/>); on SQLite one write runs at a time,
    /// so a conditional update is enough.
    /// </summary>
    public async Task<List<OutboundEmail>> ClaimAsync(BroadsheetDb db, CancellationToken ct)
    {
        var now = DateTime.UtcNow;
        var until = now + ClaimFor;
        var token = Guid.NewGuid();
        int claimed;
        using (await writeGate.EnterAsync(db, ct))
        {
            if (db.OnPostgres)
            {
                claimed = await MailSql.ClaimDueOnPostgresAsync(db, now, until, token, BatchSize, ct);
            }
            else
            {
                var due = db.OutboundEmails
                    .Where(m => m.Status == OutboundEmailStatus.Queued && m.NextAttemptAt <= now && (m.ClaimedUntil == null || m.ClaimedUntil < now))
                    .OrderBy(m => m.NextAttemptAt).Select(m => m.Id).Take(BatchSize);
                claimed = await db.OutboundEmails
                    .Where(m => due.Contains(m.Id))
                    .ExecuteUpdateAsync(s => s.SetProperty(m => m.ClaimedUntil, until).SetProperty(m => m.ClaimToken, token), ct);
            }
        }
        return claimed == 0 ? [] : await db.OutboundEmails.AsNoTracking().Where(m => m.ClaimToken == token).OrderBy(m => m.Id).ToListAsync(ct);
    }

    /// <summary>Marks the messages sent and releases their claim in one statement (<see cref="MailSql"/>).</summary>
    private async Task RecordSentAsync(BroadsheetDb db, List<long> sent)
    {
        if (sent.Count == 0) return;
        using var gate = await writeGate.EnterAsync(db, CancellationToken.None);
        await MailSql.MarkSentAsync(db, sent, DateTime.UtcNow);
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
        using var gate = await writeGate.EnterAsync(db, CancellationToken.None);
        await db.OutboundEmails.Where(m => m.Id == email.Id).ExecuteUpdateAsync(u => u
            .SetProperty(m => m.Status, status).SetProperty(m => m.NextAttemptAt, next).SetProperty(m => m.LastError, error)
            .SetProperty(m => m.Attempts, attempt)
            .SetProperty(m => m.ClaimedUntil, (DateTime?)null).SetProperty(m => m.ClaimToken, (Guid?)null), CancellationToken.None);
    }
}
