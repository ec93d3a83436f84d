using System.Text.Json;
using Broadsheet.Admin;
using Broadsheet.Data;
using Broadsheet.Jobs;
using Microsoft.EntityFrameworkCore;

namespace Broadsheet.Subscribers;

/// <summary>What a bulk job was asked to do: which subscribers (a filter) and, for some actions, which newsletter.</summary>
public sealed record BulkParameters(string Filter, string? Newsletter);

/// <summary>
/// Bulk actions over a filter result, run by <see cref="JobWorker"/> in batches ordered by subscriber id. Only
/// subscribers that existed when the job was queued are touched (id ≤ the highest id then).
/// </summary>
public sealed class BulkActions(JobSignal signal) : IJobRunner
{
    private const int BatchSize = 500;

    public bool Handles(JobKind kind) => kind is JobKind.AddToNewsletter or JobKind.Unsubscribe or JobKind.Delete;

    /// <summary>Queues a job; the caller's SaveChanges stores it.</summary>
    public async Task<Job> QueueAsync(BroadsheetDb db, JobKind kind, SubscriberFilter filter, string? newsletter, string actor, CancellationToken ct)
    {
        var query = await filter.ApplyAsync(db, ct);
        var total = await query.LongCountAsync(ct);
        var maxId = await db.Subscribers.MaxAsync(s => (long?)s.Id, ct) ?? 0;
        var verb = kind switch
        {
            JobKind.AddToNewsletter => $"Add to {newsletter}",
            JobKind.Unsubscribe => newsletter is null ? "Unsubscribe from everything" : $"Unsubscribe from {newsletter}",
            _ => "Delete",
        };
        var job = new Job
        {
            Kind = kind,
            Parameters = JsonSerializer.Serialize(new BulkParameters(filter.ToJson(), newsletter)),
            Total = total,
            Cursor = 0,
            UpToId = maxId,
            Title = $"{verb}: {total:N0} subscribers",
            CreatedBy = actor,
            CreatedAt = DateTime.UtcNow,
        };
        db.Jobs.Add(job);
        AuditLog.Record(db, actor, $"bulk.{kind.ToString().ToLowerInvariant()}", newsletter, filter.ToJson());
        return job;
    }

    public void Wake() => signal.Notify();

    public async Task<bool> RunBatchAsync(Job job, BroadsheetDb db, CancellationToken ct)
    {
        var p = JsonSerializer.Deserialize<BulkParameters>(job.Parameters)!;
        var filter = SubscriberFilter.FromJson(p.Filter);
        var query = await filter.ApplyAsync(db, ct);
        var ids = await query.Where(s => s.Id > job.Cursor && s.Id <= job.UpToId).OrderBy(s => s.Id).Select(s => s.Id).Take(BatchSize).ToListAsync(ct);
        if (ids.Count == 0) return true;

        var newsletterId = p.Newsletter is null ? (int?)null
            : await db.Newsletters.Where(n => n.Slug == p.Newsletter).Select(n => (int?)n.Id).FirstOrDefaultAsync(ct)
              ?? throw new InvalidOperationException($"Newsletter {p.Newsletter} no longer exists.");
        var now = DateTime.UtcNow;
        switch (job.Kind)
        {
            case JobKind.AddToNewsletter:
                var added = new List<ConsentRecord>();
                var have = await db.Subscriptions.Where(s => s.NewsletterId == newsletterId && ids.Contains(s.SubscriberId)).Select(s => s.SubscriberId).ToListAsync(ct);
                // Only people with no subscription at all: an unsubscribe is a reader's decision we must not undo.
                foreach (var subscriberId in ids.Except(have))
                {
                    var sub = new Subscription { SubscriberId = subscriberId, NewsletterId = newsletterId!.Value, Status = SubscriptionStatus.Active, CreatedAt = now, ConfirmedAt = now };
                    db.Subscriptions.Add(sub);
                    added.Add(new ConsentRecord
                    {
                        Subscription = sub, SubscriberId = subscriberId, NewsletterId = newsletterId.Value,
                        Wording = $"added by {job.CreatedBy} (bulk action #{job.Id})", GivenAt = now, ConfirmedAt = now,
                    });
                }
                db.Consents.AddRange(added);
                await db.SaveChangesAsync(ct);
                foreach (var consent in added) consent.Subscription.CurrentConsentId = consent.Id; // an unsubscribe later withdraws it
                break;
            case JobKind.Unsubscribe:
                var subs = db.Subscriptions.Where(s => ids.Contains(s.SubscriberId) && s.Status != SubscriptionStatus.Unsubscribed);
                if (newsletterId is int nid) subs = subs.Where(s => s.NewsletterId == nid);
                await db.Consents.Where(c => subs.Select(s => s.CurrentConsentId).Contains(c.Id) && c.WithdrawnAt == null)
                    .ExecuteUpdateAsync(s => s.SetProperty(c => c.WithdrawnAt, now), ct);
                await subs.ExecuteUpdateAsync(s => s.SetProperty(x => x.Status, SubscriptionStatus.Unsubscribed).SetProperty(x => x.UnsubscribedAt, now), ct);
                if (newsletterId is null)
                    await db.Subscribers.Where(s => ids.Contains(s.Id) && s.Status == SubscriberStatus.Active)
                        .ExecuteUpdateAsync(s => s.SetProperty(x => x.Status, SubscriberStatus.Unsubscribed), ct);
                break;
            case JobKind.Delete:
                await SubscriberRemoval.DeleteAsync(db, ids, ct);
                break;
        }
        job.Processed += ids.Count;
        job.Cursor = ids[^1];
        return ids.Count < BatchSize;
    }
}
