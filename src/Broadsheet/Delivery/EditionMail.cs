using System.Buffers;
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
using MimeKit.Utils;
using System.Text;

namespace Broadsheet.Delivery;

/// <summary>A claimed recipient as the send sees it now: its current address and name, and whether it may still be mailed.</summary>
public sealed record Recipient(long DeliveryId, long SubscriptionId, int Attempts, string Email, string? Name, bool Mailable);

/// <summary>
/// The messages of one edition: rendered once per node, then per recipient only filled in (links, name, address),
/// dressed with the standard headers (From, Reply-To, Message-ID, Date, List-Id, List-Unsubscribe with a one-click
/// URL and a mailto, List-Unsubscribe-Post) and signed with each active DKIM key of the sender's domain (RSA first).
/// </summary>
public sealed class EditionMail
{
    private static readonly FormatOptions HeaderFormat = FormatOptions.Default.Clone();
    private readonly EncodedBody _body;
    private readonly MailboxAddress _from;
    private readonly string _fromValue;
    private readonly string? _replyToValue;
    private readonly string _subjectValue;
    private readonly string _listIdValue;
    private readonly string _messageIdSuffix;
    private readonly string _unsubscribeMailbox;
    private readonly string _baseUrl;
    private readonly IReadOnlyList<DkimKey> _dkim;
    private readonly SignupTokens _tokens;
    private readonly VerpAddress? _verp;
    private readonly byte[] _contentTypeField;

    private EditionMail(Edition edition, RenderedEdition rendered, MailboxAddress from, IReadOnlyList<DkimKey> dkim, string baseUrl, SignupTokens tokens, VerpAddress? verp)
    {
        EditionId = edition.Id;
        _body = new EncodedBody(rendered.TextFields, rendered.HtmlFields);
        _contentTypeField = Encoding.ASCII.GetBytes($"Content-Type: multipart/alternative; boundary=\"{_body.Boundary}\"\r\n\r\n");
        _from = from;
        _fromValue = AddressValue(from);
        _replyToValue = MailboxAddress.TryParse(edition.Newsletter.ReplyTo, out var replyTo) ? AddressValue(replyTo) : null;
        _subjectValue = HeaderValue(m => m.Subject = rendered.Subject, "Subject");
        var domain = Domain(from.Address);
        _listIdValue = HeaderValue(m => m.Headers.Replace("List-Id", ListHeaders.ListId(edition.Newsletter.Name, $"{edition.Newsletter.Slug}.{domain}")), "List-Id");
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
        var keys = await SigningKey.SigningAsync(db, domain, ct);
        return new EditionMail(edition, rendered, from, keys, services.GetRequiredService<PublicLinks>().BaseUrl,
            services.GetRequiredService<SignupTokens>(), verp);
    }

    /// <summary>New signers for this edition's keys (none when its domain has none); each connection keeps its own.</summary>
    public DkimMessageSigner[] CreateSigners() => _dkim.Select(k => k.CreateSigner()).ToArray();

    /// <summary>The envelope sender: a VERP address naming the delivery record, or the From address when no bounce address is set.</summary>
    public MailboxAddress EnvelopeSender(long deliveryId) => new("", EnvelopeSenderAddress(deliveryId));

    /// <summary>The same, as the bare address.</summary>
    public string EnvelopeSenderAddress(long deliveryId) => _verp?.For(deliveryId) ?? _from.Address;

    /// <summary>
    /// One recipient's message as a MimeMessage (for transports that take one, such as the outbox), built into the
    /// connection's <paramref name="buffers"/>; the same message as <see cref="Write"/> writes.
    /// </summary>
    public MimeMessage Build(Recipient r, IReadOnlyList<DkimMessageSigner> signers, MessageBuffers buffers) =>
        AsMimeMessage(Fields(r, signers, buffers, DateTimeOffset.UtcNow), buffers);

    /// <summary>The header fields and the body already in <paramref name="buffers"/> as a MimeMessage.</summary>
    internal MimeMessage AsMimeMessage(List<string> fields, MessageBuffers buffers)
    {
        var contentType = new ContentType("multipart", "alternative") { Boundary = _body.Boundary };
        return new MimeMessage((IEnumerable<Header>)[]) { Body = new PreparedBody(contentType, fields, buffers.Body.WrittenMemory) };
    }

    /// <summary>
    /// One recipient's whole message, headers and body with CRLF line ends, into <see cref="MessageBuffers.Message"/>:
    /// byte for byte what MimeKit writes for <see cref="Build"/>, without building it (the SMTP connections send these bytes).
    /// </summary>
    public ReadOnlySpan<byte> Write(Recipient r, IReadOnlyList<DkimMessageSigner> signers, MessageBuffers buffers) =>
        AsBytes(Fields(r, signers, buffers, DateTimeOffset.UtcNow), buffers);

    /// <summary>The header fields and the body already in <paramref name="buffers"/> as the message's bytes.</summary>
    internal ReadOnlySpan<byte> AsBytes(List<string> fields, MessageBuffers buffers)
    {
        var output = buffers.Message;
        output.ResetWrittenCount();
        output.Write("MIME-Version: 1.0\r\n"u8);
        foreach (var field in fields)
        {
            var span = output.GetSpan(field.Length);
            output.Advance(Encoding.ASCII.GetBytes(field, span));
        }
        output.Write(_contentTypeField);
        output.Write(buffers.Body.WrittenSpan);
        return output.WrittenSpan;
    }

    /// <summary>
    /// The body into the buffers and the header fields above it: per recipient only the slots, To, Date, Message-ID
    /// and List-Unsubscribe are new, and the DKIM signatures cover them.
    /// </summary>
    internal List<string> Fields(Recipient r, IReadOnlyList<DkimMessageSigner> signers, MessageBuffers buffers, DateTimeOffset now)
    {
        buffers.Reset();
        var unsubscribe = _tokens.ForUnsubscribe(r.SubscriptionId);
        var personal = new EditionRecipient(r.Email, r.Name,
            _baseUrl + PublicLinks.UnsubscribePath(unsubscribe),
            _baseUrl + PublicLinks.PreferencesPath(_tokens.ForOwnerLink(r.Email)));
        _body.Write(personal, buffers.Body, buffers.Scratch, signers.Count == 0 ? null : buffers.BodyHash);

        (string Name, string Value)[] signed =
        [
            ("From", _fromValue),
            ("Subject", _subjectValue),
            ("Date", " " + DateUtils.FormatDate(now)),
            ("Message-ID", " <" + r.DeliveryId.ToString(CultureInfo.InvariantCulture) + _messageIdSuffix + ">"),
            ("To", AddressValue(new MailboxAddress(r.Name ?? "", r.Email))),
            ("List-Id", _listIdValue),
            ("List-Unsubscribe", " " + ListHeaders.Unsubscribe(_baseUrl + OneClickUnsubscribe.Link(unsubscribe), $"{_unsubscribeMailbox}?subject=unsubscribe%20{unsubscribe}", fold: true)),
            ("List-Unsubscribe-Post", " " + ListHeaders.OneClickPost),
        ];
        var fields = new List<string>(signed.Length + 1 + signers.Count);
        var bodyHash = signers.Count == 0 ? null : buffers.BodyHash.GetHashAndReset();
        foreach (var signer in signers) fields.Add(signer.SignatureField(signed, bodyHash, now));
        foreach (var (name, value) in signed) fields.Add(name + ":" + value + "\r\n");
        if (_replyToValue is not null) fields.Add("Reply-To:" + _replyToValue + "\r\n");
        return fields;
    }

    /// <summary>An address header's value as MimeKit encodes it (RFC 2047 for non-ASCII names, quoting, folding), with CRLF folds.</summary>
    private static string AddressValue(MailboxAddress address) =>
        string.IsNullOrEmpty(address.Name) ? " " + address.Address : " " + Crlf(address.ToString(HeaderFormat, true));

    /// <summary>A header's value as MimeKit encodes it, with CRLF folds and without its final line end.</summary>
    private static string HeaderValue(Action<MimeMessage> set, string name)
    {
        using var message = new MimeMessage();
        set(message);
        var raw = Encoding.ASCII.GetString(message.Headers[message.Headers.IndexOf(name)].RawValue);
        return Crlf(raw).TrimEnd('\r', '\n');
    }

    private static string Crlf(string folded) => folded.Replace("\r\n", "\n").Replace("\n", "\r\n");

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
