using System.Globalization;
using Broadsheet.Data;
using Broadsheet.Editions;
using Broadsheet.Mail;
using Broadsheet.Newsletters;
using Broadsheet.Signup;
using Broadsheet.Site;
using Broadsheet.Subscribers;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using MimeKit;
using MimeKit.Cryptography;

namespace Broadsheet.Delivery;

/// <summary>A claimed recipient as the send sees it now: its current address and name, and whether it may still be mailed.</summary>
public sealed record Recipient(long DeliveryId, long SubscriptionId, int Attempts, string Email, string? Name, bool Mailable);

/// <summary>
/// The messages of one edition: rendered once per node, then per recipient only filled in (links, name, address),
/// dressed with the standard headers (From, Reply-To, Message-ID, Date, List-Id, List-Unsubscribe with a one-click
/// URL and a mailto, List-Unsubscribe-Post) and signed with the sender domain's active DKIM key.
/// </summary>
public sealed class EditionMail
{
    private readonly RenderedEdition _rendered;
    private readonly MailboxAddress _from;
    private readonly MailboxAddress? _replyTo;
    private readonly string _listName;
    private readonly string _listAddress;
    private readonly string _messageIdSuffix;
    private readonly string _unsubscribeMailbox;
    private readonly string _baseUrl;
    private readonly DkimKey? _dkim;
    private readonly SignupTokens _tokens;
    private readonly VerpAddress? _verp;

    private EditionMail(Edition edition, RenderedEdition rendered, MailboxAddress from, DkimKey? dkim, string baseUrl, SignupTokens tokens, VerpAddress? verp)
    {
        EditionId = edition.Id;
        _rendered = rendered;
        _from = from;
        _replyTo = MailboxAddress.TryParse(edition.Newsletter.ReplyTo, out var replyTo) ? replyTo : null;
        var domain = Domain(from.Address);
        _listName = edition.Newsletter.Name;
        _listAddress = $"{edition.Newsletter.Slug}.{domain}";
        // Stable per recipient and edition, so a message sent twice after a crash has the same id and receivers can tell.
        _messageIdSuffix = $".{edition.Id}.{(edition.StartedAt ?? edition.CreatedAt).Ticks:x}@{domain}";
        _unsubscribeMailbox = verp?.UnsubscribeAddress ?? from.Address;
        _dkim = dkim;
        _baseUrl = baseUrl;
        _tokens = tokens;
        _verp = verp;
    }

    public long EditionId { get; }

    /// <summary>Renders the edition and gathers what every message of it shares.</summary>
    public static async Task<EditionMail> CreateAsync(IServiceProvider services, long editionId, VerpAddress? verp, CancellationToken ct)
    {
        var db = services.GetRequiredService<BroadsheetDb>();
        var edition = await db.Editions.AsNoTracking().Include(e => e.Newsletter).SingleAsync(e => e.Id == editionId, ct);
        var rendered = await services.GetRequiredService<EditionRenderer>().RenderAsync(edition, ct);
        var from = Sender(edition.Newsletter, services.GetRequiredService<IOptions<MailOptions>>().Value.From);
        var domain = Domain(from.Address);
        var key = await db.SigningKeys.AsNoTracking().Where(k => k.IsActive && k.Domain == domain)
            .OrderByDescending(k => k.CreatedAt).FirstOrDefaultAsync(ct);
        return new EditionMail(edition, rendered, from, key?.ToDkimKey(), services.GetRequiredService<PublicLinks>().BaseUrl,
            services.GetRequiredService<SignupTokens>(), verp);
    }

    /// <summary>A new signer for this edition's key (null when its domain has none); each connection keeps its own.</summary>
    public RsaDkimSigner? CreateSigner() => _dkim?.CreateSigner();

    /// <summary>The envelope sender: a VERP address naming the delivery record, or the From address when no bounce address is set.</summary>
    public MailboxAddress EnvelopeSender(long deliveryId) => new("", _verp?.For(deliveryId) ?? _from.Address);

    public MimeMessage Build(Recipient r, RsaDkimSigner? signer)
    {
        var unsubscribe = _tokens.ForUnsubscribe(r.SubscriptionId);
        var personal = new EditionRecipient(r.Email, r.Name,
            _baseUrl + PublicLinks.UnsubscribePath(unsubscribe),
            _baseUrl + PublicLinks.PreferencesPath(_tokens.ForOwnerLink(r.Email)));
        var message = new MimeMessage
        {
            Subject = _rendered.Subject,
            Date = DateTimeOffset.UtcNow,
            MessageId = r.DeliveryId.ToString(CultureInfo.InvariantCulture) + _messageIdSuffix,
            Body = new MultipartAlternative
            {
                new TextPart(MimeKit.Text.TextFormat.Plain) { Text = _rendered.Text(personal) },
                new TextPart(MimeKit.Text.TextFormat.Html) { Text = _rendered.Html(personal) },
            },
        };
        // Fresh address objects per message: MimeKit's address lists subscribe to their addresses' Changed events, so
        // one shared MailboxAddress would keep every message ever built alive (and each += copies a longer list).
        message.From.Add(new MailboxAddress(_from.Name, _from.Address));
        if (_replyTo is not null) message.ReplyTo.Add(new MailboxAddress(_replyTo.Name, _replyTo.Address));
        message.To.Add(new MailboxAddress(r.Name ?? "", r.Email));
        ListHeaders.Add(message, _listName, _listAddress, _baseUrl + OneClickUnsubscribe.Link(unsubscribe),
            $"{_unsubscribeMailbox}?subject=unsubscribe%20{unsubscribe}");
        if (signer is not null) ListHeaders.Sign(message, signer);
        return message;
    }

    /// <summary>The newsletter's sender, else <c>Mail:From</c> (with the newsletter's name when only the address is set).</summary>
    private static MailboxAddress Sender(Newsletter n, string mailFrom)
    {
        var fallback = MailboxAddress.Parse(mailFrom);
        if (string.IsNullOrWhiteSpace(n.SenderEmail))
            return new MailboxAddress(string.IsNullOrWhiteSpace(n.SenderName) ? fallback.Name : n.SenderName, fallback.Address);
        return new MailboxAddress(string.IsNullOrWhiteSpace(n.SenderName) ? n.Name : n.SenderName, n.SenderEmail.Trim());
    }

    private static string Domain(string address) => address[(address.LastIndexOf('@') + 1)..].ToLowerInvariant();
}
