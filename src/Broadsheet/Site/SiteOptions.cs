namespace Broadsheet.Site;

/// <summary>Site-wide settings (section <c>Site</c>).</summary>
public sealed class SiteOptions
{
    public string Name { get; set; } = "The Broadsheet";

    /// <summary>Public address used in links inside emails; when empty, the address of the request that caused the mail.</summary>
    public string BaseUrl { get; set; } = "";

    /// <summary>Slug of the newsletter that the sign-up module on article pages subscribes to.</summary>
    public string DefaultNewsletter { get; set; } = "morning-briefing";

    /// <summary>The publisher's postal address, printed in the footer of every newsletter (required by anti-spam laws).</summary>
    public string PostalAddress { get; set; } = "";
}
