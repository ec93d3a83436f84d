using Broadsheet.Admin;
using Broadsheet.Data;
using Broadsheet.Editions;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Broadsheet.Delivery;

/// <summary>
/// <c>POST /api/editions/{id}/send|pause|resume|cancel|retry-failed</c> for editors: each is one conditional state
/// change (<see cref="EditionActions"/>) and answers with the send's progress, or 409 when the edition's status
/// does not allow it.
/// </summary>
public static class SendEndpoints
{
    public static void MapSendEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/editions/{id:long}").RequireAuthorization(Policies.Editor).WithTags("Editions");
        Map(group, "send", "sent", accepted: true, "SendEdition", "Starts sending a draft or scheduled edition now",
            (a, _, id, ct) => a.SendNowAsync(id, ct));
        Map(group, "pause", "paused", accepted: false, "PauseEdition", "Holds a send; messages already handed to a relay are not recalled",
            (a, _, id, ct) => a.PauseAsync(id, ct));
        Map(group, "resume", "resumed", accepted: true, "ResumeEdition", "Carries on with a paused send",
            (a, _, id, ct) => a.ResumeAsync(id, ct));
        Map(group, "cancel", "cancelled", accepted: false, "CancelEdition", "Stops an edition for good; nobody not yet sent to is mailed",
            (a, _, id, ct) => a.CancelAsync(id, ct));
        Map(group, "retry-failed", "retried", accepted: true, "RetryFailedRecipients", "Queues the recipients whose delivery failed once more and sends to them",
            async (a, db, id, ct) =>
            {
                // RetryFailedAsync answers 0 both for "nothing failed" and for "not allowed", so the status decides here.
                if (!await db.Editions.AnyAsync(e => e.Id == id && (e.Status == EditionStatus.Sending || e.Status == EditionStatus.Paused || e.Status == EditionStatus.Sent), ct))
                    return false;
                await a.RetryFailedAsync(id, ct);
                return true;
            });
    }

    private static void Map(RouteGroupBuilder group, string action, string done, bool accepted, string name, string summary,
        Func<EditionActions, BroadsheetDb, long, CancellationToken, Task<bool>> change) =>
        group.MapPost("/" + action, (long id, EditionActions a, BroadsheetDb db, DeliveryCounts counts, HttpContext http, CancellationToken ct) =>
            ChangeAsync(id, action, done, accepted, () => change(a, db, id, ct), db, counts, http, ct)).WithName(name).WithSummary(summary);

    private static async Task<Results<Accepted<EditionProgress>, Ok<EditionProgress>, NotFound, ProblemHttpResult>> ChangeAsync(
        long id, string action, string done, bool accepted, Func<Task<bool>> change, BroadsheetDb db, DeliveryCounts counts, HttpContext http, CancellationToken ct)
    {
        if (!await db.Editions.AnyAsync(e => e.Id == id, ct)) return TypedResults.NotFound();
        if (!await change())
        {
            var status = await db.Editions.Where(e => e.Id == id).Select(e => e.Status).FirstAsync(ct);
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Not possible now",
                detail: $"The edition is {status.ToString().ToLowerInvariant()}, so it cannot be {done}.");
        }
        AuditLog.Record(db, http.User, $"edition.{action}", id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await db.SaveChangesAsync(ct);
        var progress = (await EditionProgress.ReadAsync(db, counts, id, ct))!;
        return accepted ? TypedResults.Accepted($"/api/editions/{id}", progress) : TypedResults.Ok(progress);
    }
}
