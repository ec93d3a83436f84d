namespace Broadsheet.Editions;

/// <summary>An edition rendered once (subject, preheader, HTML with CSS inlined, plain text), ready to personalise per recipient.</summary>
public sealed class RenderedEdition(string subject, string preheader, string webUrl, PersonalFields html, PersonalFields text)
{
    public string Subject { get; } = subject;
    public string Preheader { get; } = preheader;

    /// <summary>Public address of the web version of this edition.</summary>
    public string WebUrl { get; } = webUrl;

    /// <summary>The HTML part with its per-recipient slots, for senders that fill them without building a string.</summary>
    public PersonalFields HtmlFields { get; } = html;
    public PersonalFields TextFields { get; } = text;

    public string Html(EditionRecipient recipient) => html.Fill(recipient);
    public string Text(EditionRecipient recipient) => text.Fill(recipient);
}
