using System.Text;
using System.Text.Json;
using Broadsheet.Admin;
using Broadsheet.Data;
using Broadsheet.Jobs;
using Broadsheet.Subscribers;
using Microsoft.EntityFrameworkCore;

namespace Broadsheet.Import;

/// <summary>The settings a person chooses for an import.</summary>
public sealed record ImportRequest(string FileName, string Newsletter, bool Pending, DuplicatePolicy Policy, string? EmailColumn, string? NameColumn);

/// <summary>
/// Starts imports from any entry point (console upload, API body, command line): stores the file under
/// DATA/imports, checks it whole, and queues the job. A file that fails the check is deleted and nothing is queued.
/// </summary>
public sealed class ImportJobs(BroadsheetDb db, JobSignal signal, DataFolder data, SuppressionList suppressions)
{
    public async Task<Job> StartAsync(Stream content, ImportRequest request, string actor, CancellationToken ct)
    {
        if (!await db.Newsletters.AnyAsync(n => n.Slug == request.Newsletter, ct))
            throw new ImportFileException($"There is no newsletter “{request.Newsletter}”.");

        await suppressions.EnsureKeyAsync(ct); // the job hashes every row inside its batch transactions
        var folder = Directory.CreateDirectory(Path.Combine(data.Path, "imports")).FullName;
        var path = Path.Combine(folder, $"{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Guid.NewGuid():N}.csv");
        try
        {
            await using (var file = File.Create(path)) await content.CopyToAsync(file, 128 * 1024, ct);
            var inspection = await ImportFile.InspectAsync(path, request.EmailColumn, request.NameColumn, ct);
            var name = Path.GetFileName(request.FileName);
            var parameters = new ImportParameters(name.Length > 200 ? name[..200] : name, path, request.Newsletter, request.Pending, request.Policy,
                inspection.Delimiter, inspection.EmailColumn, inspection.NameColumn, actor, DateTime.UtcNow);
            var job = new Job
            {
                Kind = JobKind.Import,
                Parameters = JsonSerializer.Serialize(parameters),
                Total = inspection.Rows,
                Title = $"Import {parameters.FileName} into {request.Newsletter}: {inspection.Rows:N0} rows",
                CreatedBy = actor,
                CreatedAt = DateTime.UtcNow,
            };
            db.Jobs.Add(job);
            AuditLog.Record(db, actor, "import.start", parameters.FileName, $"newsletter={request.Newsletter} rows={inspection.Rows} policy={request.Policy} pending={request.Pending}");
            await db.SaveChangesAsync(ct);
            signal.Notify();
            return job;
        }
        catch
        {
            File.Delete(path);
            throw;
        }
    }

    /// <summary>The rejected rows of an import as CSV: line, value, reason.</summary>
    public async Task WriteReportAsync(long jobId, Stream output, CancellationToken ct)
    {
        await using var writer = new StreamWriter(output, new UTF8Encoding(false), 64 * 1024);
        await writer.WriteLineAsync("line,value,reason");
        // In line order (a line is refused once), whichever check refused it and whenever it was recorded.
        long after = 0;
        while (true)
        {
            var batch = await db.Set<ImportRejection>().AsNoTracking().Where(r => r.JobId == jobId && r.Line > after).OrderBy(r => r.Line).Take(5000).ToListAsync(ct);
            foreach (var r in batch) await writer.WriteLineAsync($"{r.Line},{Csv.Field(r.Value)},{Csv.Field(r.Reason)}");
            if (batch.Count < 5000) break;
            after = batch[^1].Line;
        }
    }
}

/// <summary>The resolved <c>DataPath</c> folder.</summary>
public sealed record DataFolder(string Path);
