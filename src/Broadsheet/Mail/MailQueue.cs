using System.Text.Json;
using System.Text.Json.Serialization;
using Broadsheet.Data;
using Microsoft.Extensions.Options;

namespace Broadsheet.Mail;

/// <summary>Puts rendered mail into the durable queue, inside the caller's transaction, and wakes the worker after commit.</summary>
public sealed class MailQueue(EmailTemplates templates, MailSignal signal, IOptions<MailOptions> options)
{
    private string? _senderDomain;

    /// <summary>Adds the message to <paramref name="db"/>; it is sent only if the caller's SaveChanges commits.</summary>
    public OutboundEmail Add(BroadsheetDb db, string kind, string to, IReadOnlyDictionary<string, string> values, long? subscriberId = null)
    {
        var email = Compose(kind, to, values, subscriberId);
        db.OutboundEmails.Add(email);
        return email;
    }

    /// <summary>Adds a message rendered elsewhere (e.g. a test send of an edition): its bodies are stored.</summary>
    public OutboundEmail Add(BroadsheetDb db, string kind, string to, RenderedEmail rendered, long? subscriberId = null)
    {
        var email = Compose(kind, to, rendered, subscriberId);
        email.HtmlBody = rendered.Html;
        email.TextBody = rendered.Text;
        db.OutboundEmails.Add(email);
        return email;
    }

    /// <summary>
    /// A queued message for a caller that writes it to the queue itself (in its own transaction): rendered now (so a
    /// template that does not render fails the caller, not the send), stored as its template's values.
    /// </summary>
    public OutboundEmail Compose(string kind, string to, IReadOnlyDictionary<string, string> values, long? subscriberId = null)
    {
        var email = Compose(kind, to, templates.Render(kind, values), subscriberId);
        email.TemplateValues = JsonSerializer.Serialize(values, TemplateValuesJson.Default.IReadOnlyDictionaryStringString);
        return email;
    }

    private OutboundEmail Compose(string kind, string to, RenderedEmail rendered, long? subscriberId)
    {
        var now = DateTime.UtcNow;
        return new OutboundEmail
        {
            Kind = kind,
            ToAddress = to,
            SubscriberId = subscriberId,
            Subject = rendered.Subject,
            HtmlBody = "",
            TextBody = "",
            Rendered = rendered,
            MessageId = MessageIds.New(SenderDomain()),
            NextAttemptAt = now,
            CreatedAt = now,
        };
    }

    /// <summary>The message's bodies: as rendered when queued if this process did, else rendered again from its values, else as stored.</summary>
    public RenderedEmail Bodies(OutboundEmail email) =>
        email.Rendered ??= email.TemplateValues is { } values
            ? templates.Render(email.Kind, JsonSerializer.Deserialize(values, TemplateValuesJson.Default.DictionaryStringString)!)
            : new RenderedEmail(email.Subject, email.HtmlBody, email.TextBody);

    /// <summary>Call after the transaction that added mail has committed.</summary>
    public void Wake() => signal.NotifyQueued();

    // Options are fixed for the life of the process, so the From address is parsed once, not per message.
    private string SenderDomain() => _senderDomain ??= ParseSenderDomain();

    private string ParseSenderDomain()
    {
        var from = MimeKit.MailboxAddress.TryParse(options.Value.From, out var mailbox) ? mailbox.Address : "localhost";
        var at = from.LastIndexOf('@');
        return at >= 0 ? from[(at + 1)..] : "localhost";
    }
}

/// <summary>Wakes the mail worker when mail is queued in the database or handed to it in memory.</summary>
public sealed class MailSignal : Site.WakeSignal
{
    private int _queued;

    /// <summary>Mail was queued unclaimed: besides what it was handed, the worker should claim from the database.</summary>
    public void NotifyQueued()
    {
        Volatile.Write(ref _queued, 1);
        Notify();
    }

    /// <summary>Whether mail was queued since the last call.</summary>
    public bool TakeQueued() => Interlocked.Exchange(ref _queued, 0) == 1;
}

/// <summary>Source-generated JSON for <see cref="OutboundEmail.TemplateValues"/>.</summary>
[JsonSerializable(typeof(IReadOnlyDictionary<string, string>))]
[JsonSerializable(typeof(Dictionary<string, string>))]
internal sealed partial class TemplateValuesJson : JsonSerializerContext;
