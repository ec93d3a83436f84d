using Broadsheet.Data;
using Microsoft.EntityFrameworkCore;

namespace Broadsheet.Jobs;

/// <summary>Does one batch of a job inside the worker's transaction; returns true when the job has nothing left.</summary>
public interface IJobRunner
{
    bool Handles(JobKind kind);

    /// <summary>False when this node cannot run the job (e.g. an import whose file another node received).</summary>
    bool CanRun(Job job) => true;

    Task<bool> RunBatchAsync(Job job, BroadsheetDb db, CancellationToken ct);

    /// <summary>Called once the job has ended (done, cancelled or failed) and that is committed.</summary>
    void Finished(Job job) { }
}

/// <summary>
/// Runs queued jobs a batch at a time. Each batch commits together with the job's progress, so a crash loses at most
/// the batch in flight, which is redone; the lease lets another round (or node) take over a job whose worker died.
/// </summary>
public sealed class JobWorker(IServiceScopeFactory scopes, JobSignal signal, ILogger<JobWorker> logger) : BackgroundService
{
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(2);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var worked = false;
            try
            {
                worked = await RunOneAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                logger.LogWarning("Job round failed: {Error}", ex.GetBaseException().Message);
            }
            if (!worked)
            {
                try { await signal.WaitAsync(TimeSpan.FromSeconds(2), stoppingToken); }
                catch (OperationCanceledException) { return; }
            }
        }
    }

    /// <summary>Claims one runnable job (or job <paramref name="only"/>) and works it to the end; false when there was none.</summary>
    public async Task<bool> RunOneAsync(CancellationToken ct, long? only = null)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<BroadsheetDb>();
        var runners = scope.ServiceProvider.GetServices<IJobRunner>().ToList();
        var now = DateTime.UtcNow;

        var candidates = await db.Jobs.AsNoTracking()
            .Where(j => (j.Status == JobStatus.Queued || j.Status == JobStatus.Running) && (j.LeaseUntil == null || j.LeaseUntil < now))
            .Where(j => only == null || j.Id == only)
            .OrderBy(j => j.Id).Take(10).ToListAsync(ct);
        foreach (var candidate in candidates)
        {
            var runner = runners.FirstOrDefault(r => r.Handles(candidate.Kind));
            if (runner is null || !runner.CanRun(candidate)) continue;
            var claimed = await db.Jobs
                .Where(j => j.Id == candidate.Id && (j.LeaseUntil == null || j.LeaseUntil < now) && (j.Status == JobStatus.Queued || j.Status == JobStatus.Running))
                .ExecuteUpdateAsync(s => s.SetProperty(j => j.LeaseUntil, now + Lease).SetProperty(j => j.Status, JobStatus.Running), ct);
            if (claimed != 1) continue;
            await WorkAsync(db, runner, candidate.Id, ct);
            return true;
        }
        return false;
    }

    private async Task WorkAsync(BroadsheetDb db, IJobRunner runner, long id, CancellationToken ct)
    {
        while (true)
        {
            db.ChangeTracker.Clear();
            var job = await db.Jobs.FirstAsync(j => j.Id == id, ct);
            job.StartedAt ??= DateTime.UtcNow;
            if (job.CancelRequested)
            {
                Finish(job, JobStatus.Cancelled);
                await db.SaveChangesAsync(ct);
                runner.Finished(job);
                return;
            }
            try
            {
                await using var tx = await db.Database.BeginTransactionAsync(ct);
                var done = await runner.RunBatchAsync(job, db, ct);
                job.LeaseUntil = DateTime.UtcNow + Lease;
                if (done) Finish(job, JobStatus.Done);
                await db.SaveChangesAsync(ct);
                await tx.CommitAsync(ct);
                if (!done) continue;
                runner.Finished(job);
                return;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogError("Job {Id} ({Kind}) failed: {Error}", id, job.Kind, ex.GetBaseException().Message);
                db.ChangeTracker.Clear();
                await db.Jobs.Where(j => j.Id == id).ExecuteUpdateAsync(s => s
                    .SetProperty(j => j.Status, JobStatus.Failed)
                    .SetProperty(j => j.Error, Truncate(ex.GetBaseException().Message))
                    .SetProperty(j => j.FinishedAt, DateTime.UtcNow)
                    .SetProperty(j => j.LeaseUntil, (DateTime?)null), CancellationToken.None);
                runner.Finished(job);
                return;
            }
        }
    }

    private static void Finish(Job job, JobStatus status)
    {
        job.Status = status;
        job.FinishedAt = DateTime.UtcNow;
        job.LeaseUntil = null;
    }

    private static string Truncate(string s) => s.Length > 2000 ? s[..2000] : s;
}

/// <summary>Wakes the job worker when a job is queued.</summary>
public sealed class JobSignal : Site.WakeSignal;
