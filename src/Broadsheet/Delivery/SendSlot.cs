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
internal sealed class SendSlot(DeliveryEngine engine, ILogger logger)
{
    private static readonly TimeSpan FlushEvery = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan CloseWhenIdle = TimeSpan.FromSeconds(10);
    private const string NoLongerSubscribed = "Not mailed: unsubscribed or no longer mailable after the send started.";

    private readonly Dictionary<long, DkimMessageSigner[]> _signers = [];
    private readonly MessageBuffers _buffers = new();
    private RelayPool.Connection? _connection;
    private long _lastUsed = Stopwatch.GetTimestamp();

    public async Task RunAsync(CancellationToken ct)
    {
        try
        {
            while (!ct.IsCancellationRequested)
            {
                var worked = false;
                try
                {
                    worked = await RoundAsync(ct);
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    break;
                }
                catch (Exception ex)
                {
                    logger.LogWarning("Send round failed: {Error}", ex.GetBaseException().Message);
                    await CloseAsync();
                }
                if (worked) continue;
                foreach (var id in _signers.Keys.Where(id => !engine.IsSending(id)).ToList()) _signers.Remove(id);
                if (_connection is not null && Stopwatch.GetElapsedTime(_lastUsed) > CloseWhenIdle) await CloseAsync();
                try { await engine.WaitForWorkAsync(ct); }
                catch (OperationCanceledException) { break; }
            }
        }
        finally
        {
            await CloseAsync();
            foreach (var signer in _signers.Values.SelectMany(s => s)) signer.Dispose();
            _buffers.Dispose();
        }
    }

    /// <summary>Claims and sends one batch of the next edition that has due recipients; false when none had any.</summary>
    private async Task<bool> RoundAsync(CancellationToken ct)
    {
        foreach (var editionId in engine.SendingInTurn())
        {
            List<Recipient> batch;
            DateTime until;
            await using (var scope = engine.Scopes.CreateAsyncScope())
            {
                var db = scope.ServiceProvider.GetRequiredService<BroadsheetDb>();
                using (await engine.Limits.EnterClaimAsync(ct))
                {
                    var size = await engine.Limits.ClaimSizeAsync(db, ct);
                    if (size == 0) return false; // the hour's allowance is used up
                    (batch, until) = await ClaimAsync(db, editionId, size, ct);
                }
            }
            if (batch.Count == 0) continue;
            if (!await SendAsync(editionId, batch, until, ct)) await Task.Delay(engine.Options.PollInterval, ct);
            return true;
        }
        return false;
    }

    /// <summary>Claims recipients and reads who they are now: a subscriber who unsubscribed or was suppressed since is not mailable.</summary>
    private async Task<(List<Recipient> Batch, DateTime Until)> ClaimAsync(BroadsheetDb db, long editionId, int size, CancellationToken ct)
    {
        var now = DateTime.UtcNow;
        var until = now + engine.ClaimFor;
        List<DeliverySql.ClaimedRow> rows;
        using (await engine.Gate.EnterAsync(db, ct)) rows = await DeliverySql.ClaimAsync(db, editionId, size, now, until, ct);
        if (rows.Count == 0) return ([], until);

        var subscriptionIds = rows.Select(r => r.SubscriptionId).ToList();
        var current = await db.Subscriptions.AsNoTracking().Where(x => subscriptionIds.Contains(x.Id))
            .Select(x => new
            {
                x.Id, x.SubscriberId, x.Subscriber.Email, x.Subscriber.Name,
                Mailable = x.Status == SubscriptionStatus.Active && x.Subscriber.Status == SubscriberStatus.Active,
            })
            .ToDictionaryAsync(x => x.Id, ct);
        var batch = rows.Select(r => current.TryGetValue(r.SubscriptionId, out var c) && c.SubscriberId == r.SubscriberId
            ? new Recipient(r.Id, r.SubscriptionId, r.Attempts, c.Email, c.Name, c.Mailable)
            : new Recipient(r.Id, r.SubscriptionId, r.Attempts, "", null, false)).ToList();
        return (batch, until);
    }

    /// <summary>Sends a claimed batch; false when it stopped early because no relay could be reached.</summary>
    private async Task<bool> SendAsync(long editionId, List<Recipient> batch, DateTime until, CancellationToken ct)
    {
        var results = new DeliveryResults(engine.Options);
        EditionMail mail;
        try
        {
            mail = await engine.MailForAsync(editionId);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            foreach (var r in batch) results.Released(r);
            await FlushAsync(results, ct);
            await engine.RenderFailedAsync(editionId, ex, ct);
            return false;
        }
        if (!_signers.TryGetValue(editionId, out var signers)) _signers[editionId] = signers = mail.CreateSigners();
        // Blocking SMTP on a thread of its own: per message MailKit's async path cost several thread-pool hand-offs
        // (each a context switch on a virtual machine) and more CPU than building the message.
        try
        {
            return await Task.Factory.StartNew(() => SendBatch(mail, signers, batch, until, results, ct),
                CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }
        finally
        {
            await FlushAsync(results, ct);
        }
    }

    /// <summary>The messages of a batch, one after another over this slot's connection; whatever is not tried is released.</summary>
    private bool SendBatch(EditionMail mail, DkimMessageSigner[] signers, List<Recipient> batch, DateTime until, DeliveryResults results, CancellationToken ct)
    {
        var editionId = mail.EditionId;
        var lastFlush = Stopwatch.GetTimestamp();
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
                var wait = engine.Limits.WaitAsync(ct);
                if (!wait.IsCompleted) wait.AsTask().GetAwaiter().GetResult();
                try
                {
                    using var message = mail.Build(r, signers, _buffers);
                    _connection.Session.Send(message, mail.EnvelopeSender(r.DeliveryId), new MailboxAddress("", r.Email), ct);
                    results.Sent(r);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
                {
                    var status = results.Failed(r, ex);
                    logger.LogDebug("Delivery {Id} via {Relay}: {Status}, {Error}", r.DeliveryId, _connection.Relay, status, SmtpFailures.Describe(ex));
                    if (SmtpFailures.IsConnectionProblem(ex)) CloseAsync().GetAwaiter().GetResult();
                }
                _lastUsed = Stopwatch.GetTimestamp();
                if (Stopwatch.GetElapsedTime(lastFlush) > FlushEvery)
                {
                    FlushAsync(results, ct).GetAwaiter().GetResult();
                    lastFlush = Stopwatch.GetTimestamp();
                }
            }
            return true;
        }
        finally
        {
            // Whatever was not tried goes back at once rather than waiting for the claim to run out.
            for (; i < batch.Count; i++) results.Released(batch[i]);
        }
    }

    /// <summary>
    /// Writes the outcomes, retrying for a while if the database is away: every outcome lost here is a message that
    /// will be sent again.
    /// </summary>
    private async Task FlushAsync(DeliveryResults results, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var scope = engine.Scopes.CreateAsyncScope();
                await results.FlushAsync(scope.ServiceProvider.GetRequiredService<BroadsheetDb>(), engine.Gate, CancellationToken.None);
                return;
            }
            catch (Exception ex) when (attempt < (ct.IsCancellationRequested ? 2 : 10))
            {
                logger.LogWarning("Recording delivery outcomes failed (attempt {Attempt}): {Error}", attempt, ex.GetBaseException().Message);
                await Task.Delay(TimeSpan.FromSeconds(1), CancellationToken.None);
            }
        }
    }

    private async Task CloseAsync()
    {
        if (_connection is null) return;
        var connection = _connection;
        _connection = null;
        await connection.DisposeAsync();
    }
}
