using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using Broadsheet.Delivery;
using Broadsheet.Editions;
using MimeKit;

namespace Broadsheet.Tests.Delivery;

/// <summary>
/// The edition body encoded once with open slots: what MimeKit decodes from it is exactly the filled-in text and
/// HTML, no line is longer than quoted-printable allows, and the DKIM body hash built piece by piece is the one of
/// the whole body.
/// </summary>
public sealed class EncodedBodyTests
{
    public static TheoryData<string> Texts() =>
    [
        "",
        "plain ASCII",
        "Ünïcödé “quotes” – dashes … and emoji 🗞️ in a line",
        "a = b, and =3D is not an escape",
        "trailing spaces   \nand a tab\t\r\nthen CRLF\r\n",
        ".a line starting with a dot\nFrom the start of a line\n..two dots",
        new string('x', 300) + "\n" + new string('é', 120) + "\n" + string.Concat(Enumerable.Repeat("word ", 80)),
        "\n\n\nempty lines first and last\n\n\n",
        "lone\rcarriage return",
    ];

    /// <summary>
    /// Texts made of the pieces that decide how a line is cut (long runs, dots and "From " that may land at the start
    /// of a line after a soft break, spaces before a line end, '=', multi-byte characters): seeded, so a failure repeats.
    /// </summary>
    public static TheoryData<int> RandomTexts() => [.. Enumerable.Range(0, 40)];

    private static readonly string[] Pieces =
        ["word", " ", "  ", "\t", ".", "From ", "F", "=", "\n", "\r\n", "\r", "é", "“quoted”", "🗞️", "x", new string('y', 73), new string('z', 150)];

    [Theory]
    [MemberData(nameof(RandomTexts))]
    public void Random_texts_encode_by_the_same_rules(int seed)
    {
        var random = new Random(seed);
        var text = string.Concat(Enumerable.Range(0, 400).Select(_ => Pieces[random.Next(Pieces.Length)]));
        Quoted_printable_decodes_to_the_text_with_CRLF_lines_of_at_most_76_characters(text);
    }

    [Theory]
    [MemberData(nameof(Texts))]
    public void Quoted_printable_decodes_to_the_text_with_CRLF_lines_of_at_most_76_characters(string text)
    {
        var output = new ArrayBufferWriter<byte>();
        QuotedPrintable.Encode(Encoding.UTF8.GetBytes(text), output);
        var encoded = Encoding.ASCII.GetString(output.WrittenSpan);

        Assert.All(encoded.Split("\r\n"), line =>
        {
            Assert.InRange(line.Length, 0, 76);
            Assert.False(line.EndsWith(' ') || line.EndsWith('\t'), $"White space ends a line: '{line}'");
            Assert.False(line.StartsWith('.') || line.StartsWith("From "), $"A line transports may mangle: '{line}'");
        });
        Assert.DoesNotContain('\n', encoded.Replace("\r\n", ""));
        Assert.Equal(Lf(text), Decode(output.WrittenSpan));
    }

    [Fact]
    public void Pieces_encoded_apart_and_joined_decode_to_the_joined_text()
    {
        string[] pieces = ["Dear ", "Zoë", ",\nyour link: ", "https://news.example/u?t=" + new string('a', 90), " ", "", "=end"];
        var output = new ArrayBufferWriter<byte>();
        foreach (var piece in pieces) QuotedPrintable.Encode(Encoding.UTF8.GetBytes(piece), output);
        Assert.Equal(string.Concat(pieces), Decode(output.WrittenSpan));
    }

    [Fact]
    public void The_filled_body_decodes_to_the_recipient_s_text_and_HTML_and_hashes_like_the_whole_body()
    {
        var html = new PersonalFields(
            "<html><body>\n  <p>Hello   %%bs:name%%,</p>\n<p class=\"x\">Five stories – “today”.</p>\n" +
            "<a href=\"%%bs:unsubscribe%%\">Unsubscribe</a> · <a href=\"%%bs:preferences%%\">Preferences</a>\t \n" +
            string.Concat(Enumerable.Repeat("<td style=\"padding: 0 0 0 0; font-family: Georgia, serif\">cell</td>", 40)) + "\n</body></html>",
            html: true);
        var text = new PersonalFields("Hello %%bs:name%% <%%bs:email%%>\n\nFive stories – “today”.\n\nUnsubscribe: %%bs:unsubscribe%%\n", html: false);
        var body = new EncodedBody(text, html);
        var recipient = new EditionRecipient("zoe@example.com", "Zoë <\"&\"> O'Brien   ",
            "https://news.example/unsubscribe?t=" + new string('k', 120), "https://news.example/preferences?o=abc&x=1");

        var output = new ArrayBufferWriter<byte>();
        var scratch = new ArrayBufferWriter<byte>();
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        body.Write(recipient, output, scratch, hash);
        var pieceHash = hash.GetHashAndReset();

        Assert.Equal(DkimMessageSigner.RelaxedBodyHash(output.WrittenSpan), pieceHash);
        Assert.All(Encoding.ASCII.GetString(output.WrittenSpan).Split("\r\n"), line => Assert.InRange(line.Length, 0, 76));

        var header = Encoding.ASCII.GetBytes($"MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=\"{body.Boundary}\"\r\n\r\n");
        var message = MimeMessage.Load(new MemoryStream([.. header, .. output.WrittenSpan]));
        Assert.Equal(Lf(text.Fill(recipient)), Lf(message.TextBody));
        Assert.Equal(Lf(html.Fill(recipient)), Lf(message.HtmlBody));
        Assert.Contains("Zo&#xEB; &lt;&quot;&amp;&quot;&gt; O&#x27;Brien", Lf(message.HtmlBody));

        // The same edition for someone else: only the slots change.
        output.ResetWrittenCount();
        body.Write(recipient with { Name = null, Email = "x@example.org" }, output, scratch, null);
        Assert.Equal(Lf(text.Fill(recipient with { Name = null, Email = "x@example.org" })),
            Lf(MimeMessage.Load(new MemoryStream([.. header, .. output.WrittenSpan])).TextBody));
    }

    // MimeKit decodes line breaks as LF.
    private static string Lf(string text) => text.Replace("\r\n", "\n");

    // MimeKit's own decoder, byte for byte: TextPart.Text would also rewrite line ends (a CR before CRLF vanishes).
    private static string Decode(ReadOnlySpan<byte> encoded)
    {
        var decoder = new MimeKit.Encodings.QuotedPrintableDecoder();
        var input = encoded.ToArray();
        var decoded = new byte[decoder.EstimateOutputLength(input.Length)];
        var length = decoder.Decode(input, 0, input.Length, decoded);
        return Lf(Encoding.UTF8.GetString(decoded, 0, length));
    }
}
