using System.Net;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using MimeKit;
using MimeKit.Utils;

namespace Broadsheet.Mail;

/// <summary>
/// Reads the built-in outbox (DATA/outbox/*.eml) when <c>Mail:Transport</c> is <c>outbox</c>. Only for requests
/// from this machine: the messages hold live confirmation links.
/// </summary>
public sealed class OutboxPageModel(IMailTransport transport) : PageModel
{
    public sealed record Entry(string File, string To, string Subject, DateTimeOffset Date);

    public List<Entry> Entries { get; private set; } = [];
    public MimeMessage? Message { get; private set; }
    public string? MessageFile { get; private set; }

    public async Task<IActionResult> OnGetAsync(string? file, CancellationToken ct)
    {
        if (transport is not OutboxTransport outbox) return NotFound();
        if (HttpContext.Connection.RemoteIpAddress is not { } ip || !IPAddress.IsLoopback(ip)) return NotFound();
        // Outbox mail contains inline styles; let the sandboxed preview frame show them.
        Response.Headers.ContentSecurityPolicy = "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'";

        if (file is not null)
        {
            var path = Path.Combine(outbox.Folder, Path.GetFileName(file));
            if (!file.EndsWith(".eml") || !System.IO.File.Exists(path)) return NotFound();
            Message = await MimeMessage.LoadAsync(path, ct);
            HttpContext.Response.RegisterForDispose(Message); // after the page has rendered it
            MessageFile = Path.GetFileName(file);
            return Page();
        }

        if (!Directory.Exists(outbox.Folder)) return Page();
        foreach (var path in Directory.EnumerateFiles(outbox.Folder, "*.eml").OrderDescending().Take(200))
        {
            using var stream = System.IO.File.OpenRead(path);
            var headers = await HeaderList.LoadAsync(stream, ct);
            Entries.Add(new Entry(Path.GetFileName(path), headers[HeaderId.To] ?? "", DecodeSubject(headers[HeaderId.Subject]),
                DateUtils.TryParse(headers[HeaderId.Date] ?? "", out var date) ? date : default));
        }
        return Page();
    }

    private static string DecodeSubject(string? raw) => raw is null ? "" : Rfc2047.DecodeText(System.Text.Encoding.UTF8.GetBytes(raw));
}
