using System.Collections.Concurrent;
using System.Data.Common;
using Broadsheet.Data;
using Broadsheet.Editions;
using Broadsheet.Mail;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Broadsheet.Delivery;

/// <summary>
/// The send engine of one node. A survey loop finds the editions that are sending, writes their audiences (one node
/// per edition, under a lease) and marks an edition sent once every recipient is written and none is left queued;
/// a pool of <see cref="SendSlot"/>s, one per SMTP connection, claims recipients in batches and sends them. All state
/// is in the database, so any node can stop at any moment and another (or the same, restarted) carries on.
/// </summary>
public sealed class DeliveryEngine(
    IServiceScopeFactory scopes, IOptions<DeliveryOptions> options, IMailTransport mailTransport, DeliverySignal signal,
    VerpKey verpKey, AudienceWriter writer, SqliteWriteGate gate, ILogger<DeliveryEngine> logger) : BackgroundService
{
    private readonly ConcurrentDictionary<long, Lazy<Task<EditionMail>>> _mail = new();
    private readonly ConcurrentDictionary<long, Task> _writing = new();
    private long[] _sending = [];
    private TaskCompletionSource _work = NewWork();
    private int _turn;

    /// <summary>This process's name in audience leases.</summary>
    public string Node { get; } = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid().ToString("N")[..6]}";

    internal DeliveryOptions Options => options.Value;
    internal IServiceScopeFactory Scopes => scopes;
    internal SqliteWriteGate Gate => gate;
    internal RelayPool Relays { get; private set; } = null!;
    internal SendLimits Limits { get; private set; } = null!;

    /// <summary>How long a claim lasts: long enough that a connection can send from it for at least one relay timeout.</summary>
    internal TimeSpan ClaimFor { get; private set; }

    private VerpAddress? _verp;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var o = options.Value;
        IReadOnlyList<IMailTransport> transports = o.Relays.Count > 0 ? o.Relays.Select(r => new SmtpTransport(r)).ToList() : [mailTransport];
        Relays = new RelayPool(transports, o.RelayRetryAfter, logger);
        Limits = new SendLimits(o);
        ClaimFor = o.ClaimTimeout > 2 * Relays.LongestTimeout ? o.ClaimTimeout : 2 * Relays.LongestTimeout;
        try
        {
            if (o.BounceAddress.Trim() is { Length: > 0 } bounce) _verp = new VerpAddress(await KeyAsync(stoppingToken), bounce);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        var slots = Enumerable.Range(0, Math.Max(1, o.Connections)).Select(i => SendSlot.Start(this, logger, i + 1, stoppingToken)).ToList();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await SurveyAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                // Usually the database is away for a moment; everything is still in it, so the next round carries on.
                logger.LogWarning("Delivery survey failed: {Error}", ex.GetBaseException().Message);
            }
            try { await signal.WaitAsync(o.PollInterval, stoppingToken); }
            catch (OperationCanceledException) { break; }
        }
        try { await Task.WhenAll(slots.Concat(_writing.Values)); }
        catch (Exception) { /* each logged its own trouble; shutting down */ }
    }

    /// <summary>The VERP key, waiting for the database if it is not reachable yet.</summary>
    private async Task<byte[]> KeyAsync(CancellationToken ct)
    {
        while (true)
        {
            try { return await verpKey.GetAsync(ct); }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogWarning("Waiting for the database to read the VERP key: {Error}", ex.GetBaseException().Message);
                await Task.Delay(options.Value.PollInterval, ct);
            }
        }
    }

    private async Task SurveyAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<BroadsheetDb>();
        var now = DateTime.UtcNow;
        var editions = await db.Editions.AsNoTracking().Where(e => e.Status == EditionStatus.Sending)
            .Select(e => new { e.Id, e.AudienceComplete, e.LeaseOwner, e.LeaseUntil }).ToListAsync(ct);
        var ids = editions.Select(e => e.Id).Order().ToArray();
        var changed = !ids.SequenceEqual(Volatile.Read(ref _sending));
        Volatile.Write(ref _sending, ids);
        foreach (var id in _mail.Keys.Except(ids)) _mail.TryRemove(id, out _);

        foreach (var e in editions)
        {
            if (!e.AudienceComplete)
            {
                if ((e.LeaseUntil == null || e.LeaseUntil < now || e.LeaseOwner == Node) && !_writing.ContainsKey(e.Id)) StartWriting(e.Id, ct);
            }
            else if (await TryFinishAsync(db, e.Id, ct))
            {
                Stopped(e.Id);
            }
        }
        if (changed && ids.Length > 0) Wake();
    }

    private void StartWriting(long editionId, CancellationToken ct)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_writing.TryAdd(editionId, started.Task)) return;
        _ = Task.Run(async () =>
        {
            try
            {
                await writer.WriteAsync(editionId, Node, Wake, ct);
                SurveySoon(); // the audience may be complete with nothing left to send (an empty last batch)
            }
            catch (Exception ex) when (!ct.IsCancellationRequested)
            {
                logger.LogWarning("Writing the audience of edition {Id} failed; it is picked up again: {Error}", editionId, ex.GetBaseException().Message);
            }
            catch (OperationCanceledException)
            {
            }
            finally
            {
                _writing.TryRemove(editionId, out _);
                started.TrySetResult();
            }
        }, CancellationToken.None);
    }

    /// <summary>Marks the edition sent when every recipient is written and none is queued; never while anyone is left.</summary>
    private async Task<bool> TryFinishAsync(BroadsheetDb db, long id, CancellationToken ct)
    {
        if (await db.Deliveries.AnyAsync(d => d.EditionId == id && d.Status == DeliveryStatus.Queued, ct)) return false;
        var now = DateTime.UtcNow;
        using (await gate.EnterAsync(db, ct))
        {
            var done = await db.Editions
                .Where(e => e.Id == id && e.Status == EditionStatus.Sending && e.AudienceComplete
                    && !db.Deliveries.Any(d => d.EditionId == id && d.Status == DeliveryStatus.Queued))
                .ExecuteUpdateAsync(u => u.SetProperty(e => e.Status, EditionStatus.Sent).SetProperty(e => e.FinishedAt, now).SetProperty(e => e.UpdatedAt, now), ct);
            if (done == 1) logger.LogInformation("Edition {Id} is sent.", id);
            return done == 1;
        }
    }

    /// <summary>Sending editions, starting at a different one each call so connections share out several editions.</summary>
    internal IEnumerable<long> SendingInTurn()
    {
        var ids = Volatile.Read(ref _sending);
        if (ids.Length == 0) yield break;
        var start = (int)((uint)Interlocked.Increment(ref _turn) % (uint)ids.Length);
        for (var i = 0; i < ids.Length; i++) yield return ids[(start + i) % ids.Length];
    }

    internal bool IsSending(long editionId) => Array.IndexOf(Volatile.Read(ref _sending), editionId) >= 0;

    private void Stopped(long editionId)
    {
        var ids = Volatile.Read(ref _sending);
        Volatile.Write(ref _sending, ids.Where(id => id != editionId).ToArray());
        _mail.TryRemove(editionId, out _);
    }

    /// <summary>
    /// Runs the survey now rather than at the next poll: a connection found nothing left to claim, so an edition may
    /// be finished, and editors (and the benchmark) see it marked sent at once instead of up to a poll later.
    /// </summary>
    internal void SurveySoon() => signal.Notify();

    /// <summary>Wakes the connections: there may be recipients to claim.</summary>
    internal void Wake() => Interlocked.Exchange(ref _work, NewWork()).TrySetResult();

    /// <summary>
    /// What a connection waits on after a round that found nothing: read it before the round, so that a
    /// <see cref="Wake"/> during the round (recipients written just after the claim looked) is not lost.
    /// </summary>
    internal Task WorkSignal => Volatile.Read(ref _work).Task;

    /// <summary>Blocks a connection's thread until <paramref name="signal"/> is set by <see cref="Wake"/>, the poll interval, or the stop.</summary>
    internal void WaitForWork(Task signal, CancellationToken ct)
    {
        WaitHandle.WaitAny([((IAsyncResult)signal).AsyncWaitHandle, ct.WaitHandle], options.Value.PollInterval);
    }

    private static TaskCompletionSource NewWork() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The edition's messages, rendered once on this node.</summary>
    internal async Task<EditionMail> MailForAsync(long editionId)
    {
        var lazy = _mail.GetOrAdd(editionId, id => new Lazy<Task<EditionMail>>(() => RenderAsync(id)));
        try
        {
            return await lazy.Value;
        }
        catch
        {
            _mail.TryRemove(KeyValuePair.Create(editionId, lazy));
            throw;
        }
    }

    private async Task<EditionMail> RenderAsync(long editionId)
    {
        await using var scope = scopes.CreateAsyncScope();
        var baseUrl = scope.ServiceProvider.GetRequiredService<Site.PublicLinks>().BaseUrl;
        if (!baseUrl.StartsWith("https://", StringComparison.OrdinalIgnoreCase) && Interlocked.Exchange(ref _warnedBaseUrl, 1) == 0)
            logger.LogWarning("Newsletter links point at {BaseUrl}: set Site:BaseUrl to the site's public https address (RFC 8058 one-click unsubscribe needs https).", baseUrl);
        return await EditionMail.CreateAsync(scope.ServiceProvider, editionId, _verp, CancellationToken.None);
    }

    private int _warnedBaseUrl;

    /// <summary>
    /// The edition could not be rendered: a database hiccup is waited out, anything else (a template that fails)
    /// pauses the send with the error, for an editor to fix.
    /// </summary>
    internal async Task RenderFailedAsync(long editionId, Exception ex, CancellationToken ct)
    {
        if (ex.GetBaseException() is DbException or TimeoutException or InvalidOperationException { InnerException: DbException })
        {
            logger.LogWarning("Edition {Id} could not be loaded: {Error}", editionId, ex.GetBaseException().Message);
            return;
        }
        await PauseAsync(editionId, $"The edition could not be rendered: {ex.GetBaseException().Message}", ct);
    }

    /// <summary>
    /// No relay could be reached. While another connection of this node still works, this one only waits; when none
    /// does, the send is paused with the relays' errors, for an editor to resume once the relay is back.
    /// </summary>
    internal async Task RelaysDownAsync(long editionId, NoRelayException ex, CancellationToken ct)
    {
        if (Relays.AnyOpen) return;
        await PauseAsync(editionId, $"No relay could be reached: {ex.Message}", ct);
        Relays.Reset(); // so that after a resume every relay is tried at once
    }

    private async Task PauseAsync(long editionId, string reason, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        if (await scope.ServiceProvider.GetRequiredService<EditionActions>().PauseAsync(editionId, reason.Length > 1000 ? reason[..1000] : reason, ct))
            logger.LogWarning("Edition {Id} paused: {Reason}", editionId, reason);
        Stopped(editionId);
    }
}
