using Broadsheet.Admin;
using Broadsheet.Data;
using Broadsheet.Delivery;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace Broadsheet.Editions;

/// <summary>
/// One edition in the console: its content (editable while draft or scheduled), the reader's preview, test send,
/// schedule, the send controls, live progress and the recipients whose delivery failed.
/// </summary>
[Authorize(Policy = Policies.Viewer, AuthenticationSchemes = ConsoleAuth.CookieScheme)]
[ViewersReadOnly]
public sealed class EditionPageModel(BroadsheetDb db, EditionComposer composer, EditionRenderer renderer, TestSend testSend, EditionActions actions, Site.PublicLinks links, DeliveryCounts counts) : PageModel
{
    public const int FailedPageSize = 50;

    /// <summary>What the page says after an action redirected back to it.</summary>
    public static readonly IReadOnlyDictionary<string, string> Notices = new Dictionary<string, string>
    {
        ["saved"] = "Saved.",
        ["tested"] = "Test messages queued; they arrive in a moment.",
        ["scheduled"] = "Scheduled.",
        ["unscheduled"] = "No longer scheduled: back to draft.",
        ["sending"] = "Sending started.",
        ["paused"] = "Paused.",
        ["resumed"] = "Sending again.",
        ["cancelled"] = "Cancelled: nobody else receives this edition.",
        ["retried"] = "The failed recipients are queued again.",
        ["refused"] = "Nothing changed: the edition's status does not allow that (it may have changed meanwhile).",
        ["unconfirmed"] = "Nothing changed: tick the box to confirm.",
    };

    public Edition Edition { get; private set; } = null!;
    public EditionProgress Progress { get; private set; } = null!;
    public EditionForm? Form { get; private set; }
    public List<(string Section, string Headline)> Articles { get; private set; } = [];
    public string? SegmentName { get; private set; }
    public string? Text { get; private set; }
    public string? RenderError { get; private set; }
    public List<DeliveryRecord> Failed { get; private set; } = [];
    public long? FailedNext { get; private set; }
    public string? Notice { get; private set; }
    public string ScheduleAt { get; private set; } = "";
    public string ScheduleZone { get; private set; } = "UTC";
    public string? ScheduleError { get; private set; }
    public string? TestAddresses { get; private set; }
    public string? TestError { get; private set; }

    public bool Editable => Edition.Status is EditionStatus.Draft or EditionStatus.Scheduled;
    public bool CanEdit => Policies.CanEdit(User);

    public async Task<IActionResult> OnGetAsync(long id, [FromQuery] string? done, [FromQuery] long? failedAfter, CancellationToken ct)
    {
        if (!await LoadAsync(id, failedAfter, ct)) return NotFound();
        Notice = done is not null && Notices.TryGetValue(done, out var text) ? text : null;
        return Page();
    }

    public async Task<IActionResult> OnPostUpdateAsync(long id, CancellationToken ct)
    {
        var edition = await db.Editions.Include(e => e.Newsletter).FirstOrDefaultAsync(e => e.Id == id, ct);
        if (edition is null) return NotFound();
        var form = EditionForm.From(Request.Form);
        var result = await composer.UpdateAsync(edition, form.ToInput(), ct);
        if (result.Ok)
        {
            AuditLog.Record(db, User, "edition.update", id.ToString(), edition.Subject);
            await db.SaveChangesAsync(ct);
            return Redirect($"/admin/editions/{id}?done=saved");
        }
        db.ChangeTracker.Clear(); // the edition stays as saved; the form shows what was typed
        form.Errors = result.Errors;
        Form = form;
        await LoadAsync(id, null, ct);
        if (!Editable) Notice = form.ErrorOf("status");
        return Page();
    }

    public async Task<IActionResult> OnPostTestSendAsync(long id, string? addresses, CancellationToken ct)
    {
        if (!await db.Editions.AnyAsync(e => e.Id == id, ct)) return NotFound();
        var list = (addresses ?? "").Split([',', ';', ' ', '\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries);
        if (list.Length == 0) TestError = "Give at least one address.";
        else if (list.Length > TestSend.MaxAddresses) TestError = $"At most {TestSend.MaxAddresses} addresses.";
        else if (await testSend.SendAsync(id, list, ct) is { Count: > 0 } invalid) TestError = $"Not a valid address: {string.Join(", ", invalid)}.";
        else
        {
            AuditLog.Record(db, User, "edition.test-send", id.ToString(), $"{list.Length} address(es)");
            await db.SaveChangesAsync(ct);
            return Redirect($"/admin/editions/{id}?done=tested");
        }
        TestAddresses = addresses;
        await LoadAsync(id, null, ct);
        return Page();
    }

    public async Task<IActionResult> OnPostScheduleAsync(long id, string? at, string? zone, CancellationToken ct)
    {
        if (!await db.Editions.AnyAsync(e => e.Id == id, ct)) return NotFound();
        if (LocalSchedule.TryToUtc(at, zone, DateTime.UtcNow, out var utc, out var error))
        {
            if (await actions.ScheduleAsync(id, utc, ct))
            {
                AuditLog.Record(db, User, "edition.schedule", id.ToString(), $"{ProgressView.Time(utc)} ({at} {zone})");
                await db.SaveChangesAsync(ct);
                return Redirect($"/admin/editions/{id}?done=scheduled");
            }
            error = "Only a draft or scheduled edition can be scheduled.";
        }
        await LoadAsync(id, null, ct);
        (ScheduleAt, ScheduleZone, ScheduleError) = (at ?? "", zone ?? "UTC", error);
        return Page();
    }

    public string FailedPageLink(long? after) => $"/admin/editions/{Edition.Id}" + (after is null ? "" : $"?failedAfter={after}") + "#failed";

    private async Task<bool> LoadAsync(long id, long? failedAfter, CancellationToken ct)
    {
        var edition = await db.Editions.AsNoTracking().Include(e => e.Newsletter).FirstOrDefaultAsync(e => e.Id == id, ct);
        if (edition is null) return false;
        Edition = edition;
        Progress = (await EditionProgress.ReadAsync(db, counts, id, ct))!;
        var articles = await db.Articles.AsNoTracking().Where(a => edition.ArticleIds.Contains(a.Id)).ToDictionaryAsync(a => a.Id, a => (a.Section, a.Headline), ct);
        Articles = edition.ArticleIds.Where(articles.ContainsKey).Select(a => articles[a]).ToList();
        SegmentName = edition.SegmentId is { } s ? await db.Segments.Where(x => x.Id == s).Select(x => x.Name).FirstOrDefaultAsync(ct) : null;

        var failed = await db.Deliveries.AsNoTracking().Where(d => d.EditionId == id && d.Status == DeliveryStatus.Failed && d.Id > (failedAfter ?? 0))
            .OrderBy(d => d.Id).Take(FailedPageSize + 1).ToListAsync(ct);
        FailedNext = failed.Count > FailedPageSize ? failed[FailedPageSize - 1].Id : null;
        Failed = failed.Take(FailedPageSize).ToList();

        ScheduleZone = LocalSchedule.TryZone(edition.Newsletter.ScheduleTimeZone, out _) ? edition.Newsletter.ScheduleTimeZone : "UTC";
        ScheduleAt = edition.ScheduledAt is { } at ? LocalSchedule.ToInput(at, ScheduleZone) : "";
        if (Editable && CanEdit)
        {
            Form ??= EditionForm.From(edition);
            await Form.LoadChoicesAsync(db, composer, edition, ct);
        }
        try
        {
            Text = (await renderer.RenderAsync(edition, ct)).Text(EditionPreview.SampleReader(links));
        }
        catch (Exception ex) when (ex is not OperationCanceledException) // a template is editors' code: whatever it throws is shown, not a crash
        {
            RenderError = ex.Message;
        }
        return true;
    }
}
