using Broadsheet.Site;
using Microsoft.AspNetCore.Mvc;

namespace Broadsheet.Editions;

/// <summary>
/// Serves a rendered edition to the console's preview frames as a sample reader sees it. The frames are sandboxed
/// and the document carries its own sandboxing policy, so whatever a template writes cannot run in the console.
/// </summary>
public static class EditionPreview
{
    /// <summary>What the preview partial shows: the frames' document address and the plain-text part.</summary>
    public sealed record Frames(string HtmlUrl, string? Text);

    public const string Policy = "default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; font-src https: data:; frame-ancestors 'self'; sandbox";

    /// <summary>The reader of previews: a made-up address, and links to the public newsletters page instead of anyone's subscription.</summary>
    public static EditionRecipient SampleReader(PublicLinks links)
    {
        var nowhere = links.Absolute(PublicLinks.NewslettersPath());
        return new EditionRecipient("reader@example.com", "Sample Reader", nowhere, nowhere);
    }

    /// <summary>The HTML part (or the plain-text part when <paramref name="format"/> is "text").</summary>
    public static IActionResult Result(HttpResponse response, RenderedEdition rendered, EditionRecipient reader, string? format)
    {
        response.Headers.ContentSecurityPolicy = Policy;
        response.Headers.CacheControl = "no-store";
        return string.Equals(format, "text", StringComparison.OrdinalIgnoreCase)
            ? new ContentResult { Content = rendered.Text(reader), ContentType = "text/plain; charset=utf-8" }
            : new ContentResult { Content = rendered.Html(reader), ContentType = "text/html; charset=utf-8" };
    }

    /// <summary>What the frame shows when the template fails on this edition.</summary>
    public static IActionResult Failure(HttpResponse response, Exception error)
    {
        response.Headers.ContentSecurityPolicy = Policy;
        return new ContentResult { Content = "The edition could not be rendered: " + error.Message, ContentType = "text/plain; charset=utf-8", StatusCode = StatusCodes.Status422UnprocessableEntity };
    }
}
