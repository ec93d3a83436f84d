using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Options;
using MimeKit;

namespace Broadsheet.Mail;

/// <summary>Delivers messages somewhere. A session may send many messages over one connection.</summary>
public interface IMailTransport
{
    Task<IMailSession> OpenAsync(CancellationToken ct);
}

/// <summary>One connection's worth of sending.</summary>
public interface IMailSession : IAsyncDisposable
{
    Task SendAsync(MimeMessage message, CancellationToken ct);
}

/// <summary>Writes each message as an .eml file under DATA/outbox, for running without a relay.</summary>
public sealed class OutboxTransport(string dataPath) : IMailTransport, IMailSession
{
    public string Folder { get; } = Path.Combine(dataPath, "outbox");

    public Task<IMailSession> OpenAsync(CancellationToken ct) => Task.FromResult<IMailSession>(this);

    public async Task SendAsync(MimeMessage message, CancellationToken ct)
    {
        Directory.CreateDirectory(Folder);
        var name = $"{DateTime.UtcNow:yyyyMMdd-HHmmss-fff}-{Guid.NewGuid():N}.eml";
        var temp = Path.Combine(Folder, name + ".tmp");
        await message.WriteToAsync(temp, ct);
        File.Move(temp, Path.Combine(Folder, name)); // whole files only: the outbox page never sees half a message
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

/// <summary>Sends through an SMTP relay with MailKit.</summary>
public sealed class SmtpTransport(IOptions<MailOptions> options) : IMailTransport
{
    public async Task<IMailSession> OpenAsync(CancellationToken ct)
    {
        var smtp = options.Value.Smtp;
        var client = new SmtpClient { Timeout = (int)smtp.Timeout.TotalMilliseconds };
        try
        {
            var security = smtp.Security.Trim().ToLowerInvariant() switch
            {
                "tls" => SecureSocketOptions.SslOnConnect,
                "starttls" => SecureSocketOptions.StartTls,
                _ => SecureSocketOptions.None,
            };
            await client.ConnectAsync(smtp.Host, smtp.Port, security, ct);
            if (!string.IsNullOrEmpty(smtp.Username))
                await client.AuthenticateAsync(smtp.Username, smtp.Password, ct);
            return new Session(client);
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    private sealed class Session(SmtpClient client) : IMailSession
    {
        public async Task SendAsync(MimeMessage message, CancellationToken ct) => await client.SendAsync(message, ct);

        public async ValueTask DisposeAsync()
        {
            try
            {
                if (client.IsConnected) await client.DisconnectAsync(true);
            }
            catch (Exception)
            {
                // The relay may already have gone; the messages were sent or recorded as failed before this.
            }
            client.Dispose();
        }
    }
}
