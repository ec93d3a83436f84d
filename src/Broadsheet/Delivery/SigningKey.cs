using Broadsheet.Data;
using Microsoft.EntityFrameworkCore;

namespace Broadsheet.Delivery;

/// <summary>
/// A DKIM key generated in the console and stored for signing; the active ones of a sender's domain sign, one per
/// algorithm (the PEM tells which).
/// </summary>
public class SigningKey
{
    public int Id { get; set; }
    public required string Domain { get; set; }
    public required string Selector { get; set; }
    public required string PrivateKeyPem { get; set; }
    public bool IsActive { get; set; } = true;
    public DateTime CreatedAt { get; set; }
    public string CreatedBy { get; set; } = "";

    public DkimKey ToDkimKey() => new(Domain, Selector, PrivateKeyPem);

    /// <summary>
    /// The keys that sign mail from <paramref name="domain"/>: the newest active key of each algorithm, RSA first, so
    /// receivers that ignore ed25519 meet a signature they check.
    /// </summary>
    public static async Task<List<DkimKey>> SigningAsync(BroadsheetDb db, string domain, CancellationToken ct) =>
        (await db.SigningKeys.AsNoTracking().Where(k => k.IsActive && k.Domain == domain).OrderByDescending(k => k.CreatedAt).ToListAsync(ct))
            .Select(k => k.ToDkimKey()).GroupBy(k => k.Algorithm).OrderBy(g => g.Key).Select(g => g.First()).ToList();
}
