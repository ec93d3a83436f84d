using Broadsheet.Data;
using Broadsheet.Mail;
using Broadsheet.Signup;
using Microsoft.EntityFrameworkCore;

namespace Broadsheet.Editions;

/// <summary>
/// Sends an edition as the reader would see it to a few given addresses, marked "[Test]", through the ordinary mail
/// queue. Its unsubscribe and preference links lead to the public newsletters page, not to anyone's subscription.
/// </summary>
public sealed class TestSend(BroadsheetDb db, EditionRenderer renderer, MailQueue queue, Site.PublicLinks links)
{
    public const int MaxAddresses = 10;

    /// <summary>Queues one message per address; returns the addresses refused by the address rule (nothing is sent then).</summary>
    public async Task<List<string>> SendAsync(long editionId, IReadOnlyList<string> addresses, CancellationToken ct)
    {
        var invalid = addresses.Where(a => !EmailAddressRule.TryNormalize(a, out _)).ToList();
        if (invalid.Count > 0 || addresses.Count == 0) return invalid;
        var edition = await db.Editions.Include(e => e.Newsletter).SingleAsync(e => e.Id == editionId, ct);
        var rendered = await renderer.RenderAsync(edition, ct);
        var nowhere = links.Absolute(Site.PublicLinks.NewslettersPath());
        foreach (var address in addresses.Take(MaxAddresses))
        {
            EmailAddressRule.TryNormalize(address, out var to);
            var recipient = new EditionRecipient(to, null, nowhere, nowhere);
            queue.Add(db, "edition-test", to, new RenderedEmail("[Test] " + rendered.Subject, rendered.Html(recipient), rendered.Text(recipient)));
        }
        await db.SaveChangesAsync(ct);
        queue.Wake();
        return [];
    }
}
