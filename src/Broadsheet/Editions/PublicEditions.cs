using Broadsheet.Data;
using Microsoft.EntityFrameworkCore;

namespace Broadsheet.Editions;

/// <summary>Which editions readers may see on the web: those that have gone out (or are going out) of public newsletters.</summary>
public static class PublicEditions
{
    /// <summary>
    /// Sending, paused or sent: readers may hold the message and follow its "read in your browser" link. Drafts and
    /// scheduled editions are not out yet; a cancelled one was withdrawn.
    /// </summary>
    public static IQueryable<Edition> Query(BroadsheetDb db, string slug) =>
        db.Editions.AsNoTracking().Where(e => e.Newsletter.Slug == slug && e.Newsletter.IsPublic
            && (e.Status == EditionStatus.Sending || e.Status == EditionStatus.Paused || e.Status == EditionStatus.Sent));
}
