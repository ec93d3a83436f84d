using System.Diagnostics;
using Broadsheet.Data;
using Broadsheet.Mail;
using Broadsheet.Subscribers;
using Microsoft.EntityFrameworkCore;
using MimeKit;
using MimeKit.Cryptography;

namespace Broadsheet.Delivery;

/// <summary>
/// One connection of the pool: claims a batch of recipients, sends them over one reused SMTP connection, and writes
/// the outcomes in a few statements. A claim is only sent from while it has more than a relay timeout left, so a
/// slow connection never sends what another node may already have claimed again.
/// </summary>
/// <remarks>
/// Each slot runs on a thread of its own and makes only blocking calls, SMTP and database alike. Asynchronous calls
/// would hand every reply from one pool thread to another, and on a small virtual machine those wake-ups (and the
/// pool threads spinning while they wait for work) cost more CPU than building and sending the messages.
/// </remarks>
internal sealed class SendSlot(DeliveryEngine engine, ILogger logger)
{
    private static readonly TimeSpan FlushEvery = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan CloseWhenIdle = TimeSpan.FromSeconds(10);
    private const string NoLongerSubscribed = "Not mailed: unsubscribed or no longer mailable after the send started.";

    private readonly Dictionary<long, DkimMessageSigner[]> _signers = [];
    private readonly MessageBuffers _buffers = new();
    private RelayPool.Connection? _connection;
    private long _lastUsed = Stopwatch.GetTimestamp();
    private bool _hadWork;

    /// <summary>Starts the slot on a thread of its own; the task ends when the slot has stopped and closed its connection.</summary>
    public static Task Start(DeliveryEngine engine, ILogger logger, int number, CancellationToken ct)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                new SendSlot(engine, logger).Run(ct);
                done.TrySetResult();
            }
            catch (Exception ex)
            {
                done.TrySetException(ex);
            }
        })
        { IsBackground = true, Name = $"Broadsheet send {number}" };
        thread.Start();
        return done.Task;
    }

    private void Run(CancellationToken ct)
    {
        try
        {
            while (!ct.IsCancellationRequested)
            {
                var worked = false;
                var signal = engine.WorkSignal;
                try
                {
                    worked = Round(ct);
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    break;
                }
                catch (Exception ex)
                {
                    logger.LogWarning("Send round failed: {Error}", ex.GetBaseException().Message);
                    Close();
                }
                if (worked)
                {
                    _hadWork = true;
                    continue;
                }
                if (_hadWork) engine.SurveySoon(); // the first round without work after some: an edition may be done
                _hadWork = false;
                foreach (var id in _signers.Keys.Where(id => !engine.IsSending(id)).ToList()) _signers.Remove(id);
                if (_connection is not null && Stopwatch.GetElapsedTime(_lastUsed) > CloseWhenIdle) Close();
                engine.WaitForWork(signal, ct);
            }
        }
        finally
        {
            Close();
            foreach (var signer in _signers.Values.SelectMany(s => s)) signer.Dispose();
            _buffers.Dispose();
        }
    }

    /// <summary>Claims and sends one batch of the next edition that has due recipients; false when none had any.</summary>
    private bool Round(CancellationToken ct)
    {
        foreach (var editionId in engine.SendingInTurn())
        {
            List<Recipient> batch;
            DateTime until;
            using (var scope = engine.Scopes.CreateScope())
            {
                var db = scope.ServiceProvider.GetRequiredService<BroadsheetDb>();
                using (engine.Limits.EnterClaim(ct))
                {
                    var size = engine.Limits.ClaimSize(db);
                    if (size == 0) return false; // the hour's allowance is used up
                    (batch, until) = Claim(db, editionId, size, ct);
                }
            }
            if (batch.Count == 0) continue;
            if (!Send(editionId, batch, until, ct) && ct.WaitHandle.WaitOne(engine.Options.PollInterval)) ct.ThrowIfCancellationRequested();
            return true;
        }
        return false;
    }

    /// <summary>Claims recipients and reads who they are now: a subscriber who unsubscribed or was suppressed since is not mailable.</summary>
    private (List<Recipient> Batch, DateTime Until) Claim(BroadsheetDb db, long editionId, int size, CancellationToken ct)
    {
        var now = DateTime.UtcNow;
        var until = now + engine.ClaimFor;
        List<DeliverySql.ClaimedRow> rows;
        using (engine.Gate.Enter(db, ct)) rows = DeliverySql.Claim(db, editionId, size, now, until);
        if (rows.Count == 0) return ([], until);

        var subscriptionIds = rows.Select(r => r.SubscriptionId).ToList();
        var current = db.Subscriptions.AsNoTracking().Where(x => subscriptionIds.Contains(x.Id))
            .Select(x => new
            {
                x.Id, x.SubscriberId, x.Subscriber.Email, x.Subscriber.Name,
                Mailable = x.Status == SubscriptionStatus.Active && x.Subscriber.Status == SubscriberStatus.Active,
            })
            .ToDictionary(x => x.Id);
        var batch = rows.Select(r => current.TryGetValue(r.SubscriptionId, out var c) && c.SubscriberId == r.SubscriberId
            ? new Recipient(r.Id, r.SubscriptionId, r.Attempts, c.Email, c.Name, c.Mailable)
            : new Recipient(r.Id, r.SubscriptionId, r.Attempts, "", null, false)).ToList();
        return (batch, until);
    }

    /// <summary>Sends a claimed batch; false when it stopped early because no relay could be reached.</summary>
    private bool Send(long editionId, List<Recipient> batch, DateTime until, CancellationToken ct)
    {
        var results = new DeliveryResults(engine.Options);
        EditionMail mail;
        try
        {
            mail = engine.MailForAsync(editionId).GetAwaiter().GetResult();
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            foreach (var r in batch) results.Released(r);
            Flush(results, ct);
            engine.RenderFailedAsync(editionId, ex, ct).GetAwaiter().GetResult();
            return false;
        }
        if (!_signers.TryGetValue(editionId, out var signers)) _signers[editionId] = signers = mail.CreateSigners();
        try
        {
            return SendBatch(mail, signers, batch, until, results, ct);
        }
        finally
        {
            Flush(results, ct);
        }
    }

    /// <summary>The messages of a batch, one after another over this slot's connection; whatever is not tried is released.</summary>
    private bool SendBatch(EditionMail mail, DkimMessageSigner[] signers, List<Recipient> batch, DateTime until, DeliveryResults results, CancellationToken ct)
    {
        var editionId = mail.EditionId;
        var lastFlush = Stopwatch.GetTimestamp();
        (long Id, string Address)? nextSender = null; // the VERP sender already made for the announced envelope
        var i = 0;
        try
        {
            for (; i < batch.Count && !ct.IsCancellationRequested; i++)
            {
                var r = batch[i];
                if (!engine.IsSending(editionId) || DateTime.UtcNow + engine.Relays.LongestTimeout >= until) break;
                if (!r.Mailable)
                {
                    results.Skipped(r, NoLongerSubscribed);
                    continue;
                }
                if (_connection is null)
                {
                    try
                    {
                        _connection = engine.Relays.Open(ct);
                    }
                    catch (NoRelayException ex)
                    {
                        engine.RelaysDownAsync(editionId, ex, ct).GetAwaiter().GetResult();
                        return false;
                    }
                }
                engine.Limits.Wait(ct);
                try
                {
                    if (_connection.Session is PipelinedSmtpSession smtp)
                    {
                        // The next recipient's envelope rides with this message's end: one round trip per message.
                        var sender = nextSender?.Id == r.DeliveryId ? nextSender.Value.Address : mail.EnvelopeSenderAddress(r.DeliveryId);
                        nextSender = null;
                        (string, string)? next = null;
                        if (i + 1 < batch.Count && batch[i + 1].Mailable)
                        {
                            nextSender = (batch[i + 1].DeliveryId, mail.EnvelopeSenderAddress(batch[i + 1].DeliveryId));
                            next = (nextSender.Value.Address, batch[i + 1].Email);
                        }
                        smtp.Send(mail.Write(r, signers, _buffers), sender, r.Email, next, ct);
                    }
                    else
                    {
                        using var message = mail.Build(r, signers, _buffers);
                        _connection.Session.Send(message, mail.EnvelopeSender(r.DeliveryId), new MailboxAddress("", r.Email), ct);
                    }
                    results.Sent(r);
                }
                catch (Exception) when (ct.IsCancellationRequested)
                {
                    break; // stopping: the connection was closed under the message, which goes back untried
                }
                catch (Exception ex)
                {
                    var status = results.Failed(r, ex);
                    logger.LogDebug("Delivery {Id} via {Relay}: {Status}, {Error}", r.DeliveryId, _connection.Relay, status, SmtpFailures.Describe(ex));
                    if (SmtpFailures.IsConnectionProblem(ex)) Close();
                }
                _lastUsed = Stopwatch.GetTimestamp();
                if (Stopwatch.GetElapsedTime(lastFlush) > FlushEvery)
                {
                    Flush(results, ct);
                    lastFlush = Stopwatch.GetTimestamp();
                }
            }
            return true;
        }
        finally
        {
            // Whatever was not tried goes back at once rather than waiting for the claim to run out.
            for (; i < batch.Count; i++) results.Released(batch[i]);
            // The relay is waiting for a message this batch will not send now: only closing ends that.
            if (_connection?.Session is PipelinedSmtpSession { HasAnnounced: true }) Close();
        }
    }

    /// <summary>
    /// Writes the outcomes, retrying for a while if the database is away: every outcome lost here is a message that
    /// will be sent again.
    /// </summary>
    private void Flush(DeliveryResults results, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                using var scope = engine.Scopes.CreateScope();
                results.Flush(scope.ServiceProvider.GetRequiredService<BroadsheetDb>(), engine.Gate);
                return;
            }
            catch (Exception ex) when (attempt < (ct.IsCancellationRequested ? 2 : 10))
            {
                logger.LogWarning("Recording delivery outcomes failed (attempt {Attempt}): {Error}", attempt, ex.GetBaseException().Message);
                Thread.Sleep(TimeSpan.FromSeconds(1));
            }
        }
    }

    private void Close()
    {
        if (_connection is null) return;
        var connection = _connection;
        _connection = null;
        connection.Dispose();
    }
}
