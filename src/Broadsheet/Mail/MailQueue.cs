using Broadsheet.Data;
using Microsoft.Extensions.Options;

namespace Broadsheet.Mail;

/// <summary>Puts rendered mail into the durable queue, inside the caller's transaction, and wakes the worker after commit.</summary>
public sealed class MailQueue(EmailTemplates templates, MailSignal signal, IOptions<MailOptions> options)
{
    private string? _senderDomain;

    /// <summary>Adds the message to <paramref name="db"/>; it is sent only if the caller's SaveChanges commits.</summary>
    public OutboundEmail Add(BroadsheetDb db, string kind, string to, IReadOnlyDictionary<string, string> values, long? subscriberId = null) =>
        Add(db, kind, to, templates.Render(kind, values), subscriberId);

    /// <summary>Adds a message rendered elsewhere (e.g. a test send of an edition).</summary>
    public OutboundEmail Add(BroadsheetDb db, string kind, string to, RenderedEmail rendered, long? subscriberId = null)
    {
        var email = Compose(kind, to, rendered, subscriberId);
        db.OutboundEmails.Add(email);
        return email;
    }

    /// <summary>A queued message, rendered, for a caller that writes it to the queue itself (in its own transaction).</summary>
    public OutboundEmail Compose(string kind, string to, IReadOnlyDictionary<string, string> values, long? subscriberId = null) =>
        Compose(kind, to, templates.Render(kind, values), subscriberId);

    private OutboundEmail Compose(string kind, string to, RenderedEmail rendered, long? subscriberId)
    {
        var now = DateTime.UtcNow;
        return new OutboundEmail
        {
            Kind = kind,
            ToAddress = to,
            SubscriberId = subscriberId,
            Subject = rendered.Subject,
            HtmlBody = rendered.Html,
            TextBody = rendered.Text,
            MessageId = MessageIds.New(SenderDomain()),
            NextAttemptAt = now,
            CreatedAt = now,
        };
    }

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
