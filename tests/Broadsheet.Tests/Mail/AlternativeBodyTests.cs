using System.Buffers;
using Broadsheet.Mail;
using Broadsheet.Tests.Delivery;
using MimeKit;

namespace Broadsheet.Tests.Mail;

/// <summary>
/// A transactional message with the body Broadsheet encodes itself: what a mail client reads back from the written
/// message is exactly the text and the HTML it was given, and the reused buffer does not leak one message into the next.
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

    [Fact]
    public void The_second_message_made_in_a_buffer_holds_only_its_own_body()
    {
        var buffer = new ArrayBufferWriter<byte>();
        WriteAndLoad("first, and rather longer " + new string('x', 5000), "<p>first</p>", buffer);
        var second = WriteAndLoad("second", "<p>second</p>", buffer);

        Assert.Equal("second", Lf(second.TextBody));
        Assert.Equal("<p>second</p>", Lf(second.HtmlBody));
    }

    private static MimeMessage WriteAndLoad(string text, string html, ArrayBufferWriter<byte> buffer)
    {
        using var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse("news@news.example"));
        message.To.Add(MailboxAddress.Parse("reader@example.com"));
        message.Subject = "Confirm";
        message.Body = AlternativeBody.Create(text, html, buffer);
        var stream = new MemoryStream();
        message.WriteTo(stream);
        stream.Position = 0;
        return MimeMessage.Load(stream);
    }

    private static string Lf(string? s) => (s ?? "").Replace("\r\n", "\n");
}
