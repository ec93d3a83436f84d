using System.Text.Json;
using Broadsheet.Data;
using Broadsheet.Jobs;
using Broadsheet.Newsletters;
using Broadsheet.Subscribers;
using Microsoft.EntityFrameworkCore;

namespace Broadsheet.Import;

/// <summary>
/// Runs import jobs a batch of rows at a time inside <see cref="JobWorker"/>'s transaction: records the rows the
/// <see cref="ImportReader"/> refused, drops suppressed addresses, keeps one row per address, then writes the batch
/// (PostgreSQL: binary COPY and a set-based merge; SQLite: EF Core). The reader stays open between batches and reads
/// the next while this one is written; after a restart it starts again at the job's cursor.
/// </summary>
public sealed class ImportRunner(SuppressionList suppressions) : IJobRunner, IDisposable
{
    /// <summary>
    /// Rows per batch, each one transaction: PostgreSQL merges a batch in one statement, so a larger one only saves
    /// commits and round trips; EF Core on SQLite tracks every row of a batch.
    /// </summary>
    public static int BatchSize(bool postgres) => postgres ? 20_000 : 5_000;
    private ImportReader? _reader;

    public bool Handles(JobKind kind) => kind == JobKind.Import;

    /// <summary>Only the node that received the upload has the file.</summary>
    public bool CanRun(Job job) => File.Exists(Parameters(job).FilePath);

    public static ImportParameters Parameters(Job job) => JsonSerializer.Deserialize<ImportParameters>(job.Parameters)!;

    public async Task<bool> RunBatchAsync(Job job, BroadsheetDb db, CancellationToken ct)
    {
        var p = Parameters(job);
        var newsletter = await db.Newsletters.AsNoTracking().FirstOrDefaultAsync(n => n.Slug == p.Newsletter, ct)
            ?? throw new InvalidOperationException($"Newsletter {p.Newsletter} no longer exists.");
        _reader ??= new ImportReader(p, job.Cursor, BatchSize(db.OnPostgres), await suppressions.HasherAsync(ct));
        var batch = await _reader.NextAsync(ct);
        foreach (var refused in batch.Refused) Reject(db, job, refused.Line, refused.Value, refused.Reason);

        if (batch.Rows.Count > 0)
        {
            if (db.OnPostgres) job.Failed += await PostgresImport.WriteAsync(db, job, p, newsletter, batch.Rows, OnePerAddress(batch.Rows, p.Policy), ct);
            else await WriteWithEfAsync(db, p, newsletter, OnePerAddress(await DropSuppressedAsync(db, job, batch.Rows, ct), p.Policy), ct);
        }
        job.Processed += batch.Read;
        job.Cursor = batch.LastLine - 1;
        // Smaller imports change the tables too little to mislead the planner; autovacuum catches up with them.
        if (batch.End && db.OnPostgres && job.Processed >= BatchSize(postgres: true)) await PostgresImport.AnalyzeAsync(db, ct);
        return batch.End;
    }

    /// <summary>The uploaded file holds personal data: once the job is over, whatever the outcome, it goes.</summary>
    public void Finished(Job job)
    {
        _reader?.Dispose();
        _reader = null;
        File.Delete(Parameters(job).FilePath);
    }

    /// <summary>One row per address: the first (skip) or the last (update) occurrence wins.</summary>
    private static List<ImportRow> OnePerAddress(List<ImportRow> rows, DuplicatePolicy policy) =>
        (policy == DuplicatePolicy.Update ? rows.AsEnumerable().Reverse() : rows).DistinctBy(r => r.Key).ToList();

    private static void Reject(BroadsheetDb db, Job job, long line, string? value, string reason)
    {
        job.Failed++;
        db.Set<ImportRejection>().Add(new ImportRejection { JobId = job.Id, Line = line, Value = value is { Length: > 300 } ? value[..300] : value, Reason = reason });
    }

    /// <summary>SQLite: rejects the rows on the suppression list (PostgreSQL does it within its merge).</summary>
    private static async Task<List<ImportRow>> DropSuppressedAsync(BroadsheetDb db, Job job, List<ImportRow> rows, CancellationToken ct)
    {
        var hashes = rows.Select(r => r.Hash).Distinct().ToList();
        var suppressed = (await db.Suppressions.Where(s => hashes.Contains(s.AddressHash)).Select(s => s.AddressHash).ToListAsync(ct)).ToHashSet();
        if (suppressed.Count == 0) return rows;
        foreach (var row in rows.Where(r => suppressed.Contains(r.Hash))) Reject(db, job, row.Line, row.Email, "on the suppression list");
        return [.. rows.Where(r => !suppressed.Contains(r.Hash))];
    }

    /// <summary>SQLite: the batch through EF Core, in the worker's transaction.</summary>
    private static async Task WriteWithEfAsync(BroadsheetDb db, ImportParameters p, Newsletter newsletter, List<ImportRow> rows, CancellationToken ct)
    {
        if (rows.Count == 0) return;
        var keys = rows.Select(r => r.Key).ToList();
        var existing = await db.Subscribers.Include(s => s.Subscriptions.Where(x => x.NewsletterId == newsletter.Id))
            .Where(s => keys.Contains(s.NormalizedEmail)).ToDictionaryAsync(s => s.NormalizedEmail, ct);
        var now = DateTime.UtcNow;
        var consents = new List<ConsentRecord>();
        foreach (var row in rows)
        {
            if (existing.TryGetValue(row.Key, out var subscriber))
            {
                if (p.Policy == DuplicatePolicy.Skip) continue;
                subscriber.Name = row.Name ?? subscriber.Name;
                subscriber.Attributes = MergeJson(subscriber.Attributes, row.Attributes);
                if (subscriber.Subscriptions.Count > 0) continue; // never re-subscribe someone who unsubscribed
            }
            else
            {
                subscriber = new Subscriber { Email = row.Email, NormalizedEmail = row.Key, Name = row.Name, Attributes = row.Attributes, Source = $"import: {p.FileName}", CreatedAt = now };
                db.Subscribers.Add(subscriber);
            }
            var sub = new Subscription
            {
                Subscriber = subscriber, NewsletterId = newsletter.Id, CreatedAt = now,
                Status = p.Pending ? SubscriptionStatus.Pending : SubscriptionStatus.Active, ConfirmedAt = p.Pending ? null : now,
            };
            db.Subscriptions.Add(sub);
            consents.Add(new ConsentRecord { Subscription = sub, Subscriber = subscriber, Nonce = null, NewsletterId = newsletter.Id, Wording = p.ConsentWording, GivenAt = now, ConfirmedAt = p.Pending ? null : now });
        }
        db.Consents.AddRange(consents);
        await db.SaveChangesAsync(ct);
        foreach (var c in consents)
        {
            c.SubscriberId = c.Subscription.SubscriberId;
            c.Subscription.CurrentConsentId = c.Id;
        }
        await db.SaveChangesAsync(ct);
    }

    private static string MergeJson(string current, string incoming)
    {
        var merged = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(string.IsNullOrWhiteSpace(current) ? "{}" : current) ?? [];
        foreach (var (key, value) in JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(incoming) ?? []) merged[key] = value;
        return JsonSerializer.Serialize(merged);
    }

    public void Dispose() => _reader?.Dispose();
}
