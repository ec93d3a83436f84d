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
        var (file, message) = await WaitForAsync(outbox, email);
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

    [Fact]
    public async Task Edited_and_removed_templates_and_a_removed_outbox_folder_are_picked_up_while_running()
    {
        await using var app = await ExtraApp.StartAsync(kind, new Dictionary<string, string?>(), withSmtp: false);
        using var client = app.Server.CreateClient();
        var outbox = Path.Combine(app.Server.DataPath, "outbox");
        var templates = Path.Combine(app.Server.DataPath, "templates");

        var first = TestData.NewEmail("outbox");
        Assert.Equal("success", await SignupHttp.SignUpAsync(client, first));
        Assert.Equal("Confirm your subscription to The Morning Briefing", (await WaitForAsync(outbox, first)).Message.Subject);

        // An override added while running, then edited; the outbox folder removed in between.
        Directory.CreateDirectory(templates);
        var subject = Path.Combine(templates, "confirm.subject.liquid");
        await File.WriteAllTextAsync(subject, "Added: {{ newsletter_name }}");
        Directory.Delete(outbox, recursive: true);
        var second = TestData.NewEmail("outbox");
        Assert.Equal("success", await SignupHttp.SignUpAsync(client, second));
        Assert.Equal("Added: The Morning Briefing", (await WaitForAsync(outbox, second)).Message.Subject);

        await File.WriteAllTextAsync(subject, "Edited: {{ newsletter_name }}");
        File.SetLastWriteTimeUtc(subject, DateTime.UtcNow.AddMinutes(1)); // a different stamp whatever the clock's resolution
        var third = TestData.NewEmail("outbox");
        Assert.Equal("success", await SignupHttp.SignUpAsync(client, third));
        Assert.Equal("Edited: The Morning Briefing", (await WaitForAsync(outbox, third)).Message.Subject);

        Directory.Delete(templates, recursive: true);
        var fourth = TestData.NewEmail("outbox");
        Assert.Equal("success", await SignupHttp.SignUpAsync(client, fourth));
        Assert.Equal("Confirm your subscription to The Morning Briefing", (await WaitForAsync(outbox, fourth)).Message.Subject);
    }

    /// <summary>The outbox file addressed to <paramref name="email"/>, waiting up to ten seconds for the worker to write it.</summary>
    private static async Task<(string File, MimeMessage Message)> WaitForAsync(string outbox, string email)
    {
        for (var i = 0; i < 100; i++)
        {
            foreach (var path in Directory.Exists(outbox) ? Directory.GetFiles(outbox, "*.eml") : [])
            {
                var message = await MimeMessage.LoadAsync(path);
                if (message.To.Mailboxes.Any(m => m.Address == email)) return (path, message);
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"No outbox message to {email}.");
    }
}

public sealed class OutboxTransportTestsOnSqlite() : OutboxTransportTests(DatabaseKind.Sqlite);

public sealed class OutboxTransportTestsOnPostgres() : OutboxTransportTests(DatabaseKind.Postgres);
