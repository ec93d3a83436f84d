using Broadsheet.Delivery;
using Broadsheet.Tests.Editions;
using Broadsheet.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;
using MimeKit.Cryptography;

namespace Broadsheet.Tests.Delivery;

/// <summary>
/// The bytes the send engine's SMTP connections send (<see cref="EditionMail.Write"/>) are exactly what MimeKit writes
/// for the same message built as a MimeMessage (what the outbox gets), and they parse and verify as a signed message.
/// </summary>
public abstract class EditionMailBytesTests(AppFixture app)
{
    [Fact]
    public async Task Written_bytes_equal_MimeKit_s_serialisation_of_the_built_message_and_verify()
    {
        var server = app.Server;
        var slug = await EditionHttp.NewsletterAsync(server);
        var article = await EditionHttp.ArticleAsync(server, "Bytes story " + Guid.NewGuid().ToString("N")[..6], standfirst: "A “quoted” standfirst… with .dots");
        var id = await EditionHttp.EditionIdAsync(server, slug, new { subject = "Bytes – “typographic” subject", intro = ".A line that starts with a dot", articleIds = new[] { article.Id } });

        await using var scope = server.Services.CreateAsyncScope();
        var mail = await EditionMail.CreateAsync(scope.ServiceProvider, id, null, CancellationToken.None);
        var key = DkimKey.Generate("example.com", "bytes", DkimAlgorithm.RsaSha256);
        using var signer = key.CreateSigner();
        using var buffers = new MessageBuffers();
        var recipient = new Recipient(42, 7, 0, "zoe.reader@example.com", "Zoë Reader", true);
        var now = new DateTimeOffset(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);

        // One message's fields (its link tokens are random), serialised both ways.
        var fields = mail.Fields(recipient, [signer], buffers, now);
        var written = mail.AsBytes(fields, buffers).ToArray();
        using var built = mail.AsMimeMessage(fields, buffers);
        using var serialised = new MemoryStream();
        built.WriteTo(Broadsheet.Mail.WireFormat.Options, serialised);

        Assert.Equal(System.Text.Encoding.ASCII.GetString(serialised.ToArray()), System.Text.Encoding.ASCII.GetString(written));
        var parsed = MimeMessage.Load(new MemoryStream(written));
        Assert.Equal("Zoë Reader", parsed.To.Mailboxes.Single().Name);
        Assert.Equal("Bytes – “typographic” subject", parsed.Subject);
        var signature = parsed.Headers[parsed.Headers.IndexOf(HeaderId.DkimSignature)];
        Assert.True(new DkimVerifier(new Sends.PublishedKey(key)).Verify(parsed, signature));
    }
}

[Collection(SqliteCollection.Name)]
public sealed class EditionMailBytesTestsOnSqlite(SqliteApp app) : EditionMailBytesTests(app);

[Collection(PostgresCollection.Name)]
public sealed class EditionMailBytesTestsOnPostgres(PostgresApp app) : EditionMailBytesTests(app);
