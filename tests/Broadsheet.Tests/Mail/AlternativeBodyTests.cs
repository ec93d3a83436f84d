using System.Buffers;
using Broadsheet.Mail;
using Broadsheet.Tests.Delivery;
using MimeKit;

namespace Broadsheet.Tests.Mail;

/// <summary>
/// A transactional message as Broadsheet writes it: what a mail client reads back is exactly the headers, the text and
/// the HTML it was given, every line is short 7-bit ASCII, and the reused buffer does not leak one message into the next.
/// </summary>
public sealed class AlternativeBodyTests
{
    public static TheoryData<string> Texts() => EncodedBodyTests.Texts();

    [Theory]
    [MemberData(nameof(Texts))]
    public void A_written_message_reads_back_as_its_text_and_HTML(string text)
    {
        var html = $"<p>{text}</p>\n<a href=\"https://news.example/confirm?t={new string('t', 100)}\">Confirm</a>";
        var read = WriteAndLoad(text, html, new ArrayBufferWriter<byte>());

        Assert.Equal("multipart/alternative", read.Body.ContentType.MimeType);
        Assert.Equal(Lf(text), Lf(read.TextBody));
        Assert.Equal(Lf(html), Lf(read.HtmlBody));
        Assert.Equal(2, ((Multipart)read.Body).Count);
    }

    [Theory]
    [InlineData("Confirm your subscription", "The Broadsheet")]
    [InlineData("Bestätigen Sie Ihr Abonnement: „Die Morgenausgabe“ 🗞️", "Zoë’s Zeitung")]
    [InlineData("A subject long enough that it has to be folded over more than one header line, because no line of a message may run past 998 characters and 78 are recommended", "The Broadsheet")]
    public void The_headers_read_back_as_written_and_every_line_is_short_and_ASCII(string subject, string sender)
    {
        var writer = new TransactionalMessage(new MailboxAddress(sender, "news@news.example"));
        var bytes = Write(writer, Email("text", "<p>html</p>", subject, "reader+tag@example.com"), new ArrayBufferWriter<byte>());
        var message = Load(bytes);

        Assert.Equal(subject, message.Subject);
        Assert.Equal(sender, message.From.Mailboxes.Single().Name);
        Assert.Equal("news@news.example", message.From.Mailboxes.Single().Address);
        Assert.Equal("news@news.example", writer.EnvelopeFrom);
        Assert.Equal("reader+tag@example.com", message.To.Mailboxes.Single().Address);
        Assert.Equal("1.2.3@news.example", message.MessageId);
        Assert.Equal(new DateTimeOffset(2026, 11, 27, 4, 30, 0, TimeSpan.Zero), message.Date);
        Assert.Equal("auto-generated", message.Headers["Auto-Submitted"]);
        Assert.Equal("1.0", message.Headers[HeaderId.MimeVersion]);
        Assert.Equal("text", Lf(message.TextBody));
        Assert.All(bytes.ToArray(), b => Assert.InRange(b, (byte)0, (byte)127));
        var headers = System.Text.Encoding.ASCII.GetString(bytes.Span)[..System.Text.Encoding.ASCII.GetString(bytes.Span).IndexOf("\r\n\r\n", StringComparison.Ordinal)];
        Assert.All(headers.Split("\r\n"), line => Assert.InRange(line.Length, 1, 78));
        Assert.DoesNotContain('\n', headers.Replace("\r\n", ""));
    }

    [Theory]
    [InlineData("reader@example.com")]
    [InlineData("o'brien+news@xn--bcher-kva.example")]
    [InlineData("\"quoted local\"@example.com")]
    [InlineData("averyveryveryveryveryveryveryveryveryveryverylonglocalpart@averyveryverylongdomain.example")]
    public void The_recipient_reads_back_as_its_address_whichever_way_it_is_written(string address)
    {
        var writer = new TransactionalMessage(MailboxAddress.Parse("news@news.example"));
        var buffer = new ArrayBufferWriter<byte>();
        var message = Load(Write(writer, Email("text", "<p>html</p>", to: address), buffer));
        Assert.Equal(MailboxAddress.Parse(address).Address, message.To.Mailboxes.Single().Address);
        // The same subject twice comes from the writer's cache: the second message must read back the same.
        Assert.Equal("Confirm", Load(Write(writer, Email("text", "<p>html</p>", to: address), buffer)).Subject);
    }

    [Fact]
    public void The_second_message_made_in_a_buffer_holds_only_its_own_body()
    {
        var buffer = new ArrayBufferWriter<byte>();
        WriteAndLoad("first, and rather longer " + new string('x', 5000), "<p>first</p>", buffer);
        var second = WriteAndLoad("second", "<p>second</p>", buffer);

        Assert.Equal("second", Lf(second.TextBody));
        Assert.Equal("<p>second</p>", Lf(second.HtmlBody));
    }

    private static MimeMessage WriteAndLoad(string text, string html, ArrayBufferWriter<byte> buffer) =>
        Load(Write(new TransactionalMessage(MailboxAddress.Parse("The Broadsheet <news@news.example>")), Email(text, html), buffer));

    private static ReadOnlyMemory<byte> Write(TransactionalMessage writer, OutboundEmail email, ArrayBufferWriter<byte> buffer) =>
        writer.Write(email, new RenderedEmail(email.Subject, email.HtmlBody, email.TextBody), buffer);

    private static OutboundEmail Email(string text, string html, string subject = "Confirm", string to = "reader@example.com") => new()
    {
        Kind = "confirm",
        ToAddress = to,
        Subject = subject,
        TextBody = text,
        HtmlBody = html,
        MessageId = "1.2.3@news.example",
        CreatedAt = new DateTime(2026, 11, 27, 4, 30, 0, DateTimeKind.Utc),
    };

    private static MimeMessage Load(ReadOnlyMemory<byte> bytes) => MimeMessage.Load(new MemoryStream(bytes.ToArray()));

    private static string Lf(string? s) => (s ?? "").Replace("\r\n", "\n");
}
