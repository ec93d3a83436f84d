using Broadsheet.Tests.Infrastructure;
using Broadsheet.Tests.Signup;
using MimeKit;

namespace Broadsheet.Tests.Mail;

/// <summary><c>Mail:Transport=outbox</c> writes .eml files under DATA/outbox, listed by the /outbox page; templates can be overridden.</summary>
public abstract class OutboxTransportTests(DatabaseKind kind)
{
    [Fact]
    public async Task Mail_lands_in_the_outbox_rendered_from_the_override_templates()
    {
        await using var app = await ExtraApp.StartAsync(kind, new Dictionary<string, string?>(), withSmtp: false);
        var templates = Directory.CreateDirectory(Path.Combine(app.Server.DataPath, "templates")).FullName;
        await File.WriteAllTextAsync(Path.Combine(templates, "confirm.subject.liquid"), "Edited: please confirm {{ newsletter_name }}");
        await File.WriteAllTextAsync(Path.Combine(templates, "confirm.txt.liquid"), "Edited text. Open {{ confirm_url }}");

        var email = TestData.NewEmail("outbox");
        using var client = app.Server.CreateClient();
        Assert.Equal("success", await SignupHttp.SignUpAsync(client, email));

        var outbox = Path.Combine(app.Server.DataPath, "outbox");
        string? file = null;
        for (var i = 0; i < 100 && file is null; i++)
        {
            await Task.Delay(100);
            file = Directory.Exists(outbox) ? Directory.GetFiles(outbox, "*.eml").SingleOrDefault() : null;
        }
        Assert.NotNull(file);
        var message = await MimeMessage.LoadAsync(file);
        Assert.Equal(email, message.To.Mailboxes.Single().Address);
        Assert.Equal("Edited: please confirm The Morning Briefing", message.Subject);
        Assert.StartsWith("Edited text. Open http", message.TextBody);
        Assert.Contains("/confirm?token=", message.HtmlBody); // the built-in HTML part

        var list = await client.GetStringAsync("/outbox");
        Assert.Contains(email, list);
        Assert.Contains("Edited: please confirm The Morning Briefing", list);
        var shown = await client.GetStringAsync("/outbox/" + Path.GetFileName(file));
        Assert.Contains("Edited text. Open", shown);
    }
}

public sealed class OutboxTransportTestsOnSqlite() : OutboxTransportTests(DatabaseKind.Sqlite);

public sealed class OutboxTransportTestsOnPostgres() : OutboxTransportTests(DatabaseKind.Postgres);
