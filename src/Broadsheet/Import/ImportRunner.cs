using System.Text.Json;
using Broadsheet.Data;
using Broadsheet.Jobs;
using Broadsheet.Newsletters;
using Broadsheet.Signup;
using Broadsheet.Subscribers;
using Microsoft.EntityFrameworkCore;
using Sylvan.Data.Csv;

namespace Broadsheet.Import;

/// <summary>One valid, normalised row of an import file.</summary>
public sealed record ImportRow(long Line, string Email, string Key, string? Name, string Attributes);

/// <summary>
/// Runs import jobs a batch of rows at a time inside <see cref="JobWorker"/>'s transaction: validates rows, records
/// rejections, drops suppressed addresses, then writes the batch (PostgreSQL: binary COPY and set-based merge;
/// SQLite: EF Core). The reader stays open between batches; after a restart it skips to the job's cursor once.
/// </summary>
public sealed class ImportRunner(SuppressionList suppressions) : IJobRunner, IDisposable
{
    public const int BatchSize = 5000;
    private CsvDataReader? _csv;
    private long _line;

    public bool Handles(JobKind kind) => kind == JobKind.Import;

    /// <summary>Only the node that received the upload has the file.</summary>
    public bool CanRun(Job job) => File.Exists(Parameters(job).FilePath);

    public static ImportParameters Parameters(Job job) => JsonSerializer.Deserialize<ImportParameters>(job.Parameters)!;

    public async Task<bool> RunBatchAsync(Job job, BroadsheetDb db, CancellationToken ct)
    {
        var p = Parameters(job);
        var newsletter = await db.Newsletters.AsNoTracking().FirstOrDefaultAsync(n => n.Slug == p.Newsletter, ct)
            ?? throw new InvalidOperationException($"Newsletter {p.Newsletter} no longer exists.");
        if (_csv is null)
        {
            _csv = ImportFile.Open(p.FilePath, p.Delimiter);
            _line = 1; // the header
            while (_line - 1 < job.Cursor && await _csv.ReadAsync(ct)) _line++;
        }

        var email = Ordinal(_csv, p.EmailColumn);
        var name = p.NameColumn is null ? -1 : Ordinal(_csv, p.NameColumn);
        var rows = new List<ImportRow>(BatchSize);
        var read = 0;
        var end = false;
        while (read < BatchSize)
        {
            if (!await _csv.ReadAsync(ct)) { end = true; break; }
            _line++;
            read++;
            var raw = _csv.GetString(email);
            if (!EmailAddressRule.TryNormalize(raw, out var normalized))
            {
                Reject(db, job, _line, raw, string.IsNullOrWhiteSpace(raw) ? "no email address" : "not a valid email address");
                continue;
            }
            var rowName = name >= 0 ? _csv.GetString(name).Trim() : "";
            if (rowName.Length > 200) rowName = rowName[..200];
            rows.Add(new ImportRow(_line, normalized, EmailAddressRule.Key(normalized), rowName.Length == 0 ? null : rowName, Attributes(_csv, email, name)));
        }

        rows = await DropSuppressedAsync(db, job, rows, ct);
        // One row per address within the batch: the first (skip) or the last (update) occurrence wins.
        var unique = (p.Policy == DuplicatePolicy.Update ? rows.AsEnumerable().Reverse() : rows).DistinctBy(r => r.Key).ToList();
        if (unique.Count > 0)
        {
            if (db.Database.IsNpgsql()) await PostgresImport.WriteAsync(db, p, newsletter, unique, ct);
            else await WriteWithEfAsync(db, p, newsletter, unique, ct);
        }

        job.Processed += read;
        job.Cursor = _line - 1;
        return end;
    }

    /// <summary>The column the inspection chose; it compared trimmed headers ("Name; E-mail ;…"), so this does too.</summary>
    private static int Ordinal(CsvDataReader csv, string column) =>
        Enumerable.Range(0, csv.FieldCount).First(i => csv.GetName(i).Trim().Equals(column, StringComparison.OrdinalIgnoreCase));

    /// <summary>The uploaded file holds personal data: once the job is over, whatever the outcome, it goes.</summary>
    public void Finished(Job job)
    {
        _csv?.Dispose();
        _csv = null;
        File.Delete(Parameters(job).FilePath);
    }

    private static void Reject(BroadsheetDb db, Job job, long line, string? value, string reason)
    {
        job.Failed++;
        db.Set<ImportRejection>().Add(new ImportRejection { JobId = job.Id, Line = line, Value = value is { Length: > 300 } ? value[..300] : value, Reason = reason });
    }

    private async Task<List<ImportRow>> DropSuppressedAsync(BroadsheetDb db, Job job, List<ImportRow> rows, CancellationToken ct)
    {
        var hashes = new Dictionary<ImportRow, string>();
        foreach (var row in rows) hashes[row] = await suppressions.HashAsync(row.Email, ct);
        var values = hashes.Values.Distinct().ToList();
        var suppressed = (await db.Suppressions.Where(s => values.Contains(s.AddressHash)).Select(s => s.AddressHash).ToListAsync(ct)).ToHashSet();
        if (suppressed.Count == 0) return rows;
        foreach (var row in rows.Where(r => suppressed.Contains(hashes[r]))) Reject(db, job, row.Line, row.Email, "on the suppression list");
        return [.. rows.Where(r => !suppressed.Contains(hashes[r]))];
    }

    /// <summary>Every column but email and name, as a JSON object of strings.</summary>
    private static string Attributes(CsvDataReader csv, int email, int name)
    {
        var values = new Dictionary<string, string>();
        for (var i = 0; i < csv.FieldCount; i++)
        {
            if (i == email || i == name) continue;
            var value = csv.GetString(i);
            if (value.Length > 0) values[csv.GetName(i).Trim()] = value.Length > 1000 ? value[..1000] : value;
        }
        return values.Count == 0 ? "{}" : JsonSerializer.Serialize(values);
    }

    /// <summary>SQLite: the batch through EF Core, in the worker's transaction.</summary>
    private static async Task WriteWithEfAsync(BroadsheetDb db, ImportParameters p, Newsletter newsletter, List<ImportRow> rows, CancellationToken ct)
    {
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

    public void Dispose() => _csv?.Dispose();
}
