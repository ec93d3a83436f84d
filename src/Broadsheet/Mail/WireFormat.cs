using MimeKit;

namespace Broadsheet.Mail;

/// <summary>MimeKit's format for a message as it travels over SMTP and is signed: CRLF line ends on every platform.</summary>
public static class WireFormat
{
    public static FormatOptions Options { get; } = Create();

    private static FormatOptions Create()
    {
        var format = FormatOptions.Default.Clone();
        format.NewLineFormat = NewLineFormat.Dos;
        return format;
    }
}
