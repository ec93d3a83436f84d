using System.Net;
using System.Text.RegularExpressions;
using Broadsheet.Signup;
using Broadsheet.Tests.Admin;
using Broadsheet.Tests.Infrastructure;
using Broadsheet.Tests.Signup;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;

namespace Broadsheet.Tests.Subscribers;

/// <summary>The reader's preference centre over HTTP: a subscribed reader, their page, its forms, and the links we mail.</summary>
public static partial class PreferencesHttp
{
    /// <summary>A new reader with an active subscription (single opt-in, so no mail); returns the address and subscriber id.</summary>
    public static async Task<(string Email, long Id)> ReaderAsync(AppFixture app, string tag)
    {
        var email = TestData.NewEmail(tag);
        Assert.Equal("success", await SignupHttp.SignUpAsync(app.Server.CreateClient(), email, TestData.SingleOptIn));
        return (email, Assert.Single((await AddressRecords.LoadAsync(app.Server, email)).Subscribers).Id);
    }

    /// <summary>The reader's page as the link in our emails opens it.</summary>
    public static string PageUrl(BroadsheetServer server, string email) =>
        "/preferences?o=" + Uri.EscapeDataString(server.Services.GetRequiredService<SignupTokens>().ForOwnerLink(email));

    /// <summary>Posts the change-of-address form of the page at <paramref name="url"/>; returns the page it answers.</summary>
    public static async Task<string> RequestChangeAsync(HttpClient client, string url, string newEmail)
    {
        using var response = await ConsoleHttp.PostFormAsync(client, url, new Dictionary<string, string> { ["newEmail"] = newEmail }, $"{url}&handler=ChangeAddress");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync());
    }

    /// <summary>Presses Confirm on the address-change page at <paramref name="path"/>; returns the page it answers.</summary>
    public static async Task<string> ConfirmChangeAsync(HttpClient client, string path)
    {
        var token = Uri.UnescapeDataString(path[(path.IndexOf("?t=", StringComparison.Ordinal) + 3)..]);
        // A page with no button has no anti-forgery token either; any form of the site gives one for this client's cookie.
        using var response = await ConsoleHttp.PostFormAsync(client, "/preferences/new-link", new Dictionary<string, string> { ["t"] = token }, "/preferences/address");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync());
    }

    /// <summary>Path and query of the address-change link in a message's plain-text part.</summary>
    public static string ChangeLink(MimeMessage message) => LinkIn(message, ChangeLinkPattern());

    /// <summary>Path and query of the preference link in a message's plain-text part.</summary>
    public static string PreferencesLink(MimeMessage message) => LinkIn(message, PreferencesLinkPattern());

    /// <summary>A public page as a browser without cookies gets it, with HTML entities decoded.</summary>
    public static async Task<string> PageAsync(BroadsheetServer server, string path)
    {
        using var client = server.CreateClient();
        return WebUtility.HtmlDecode(await client.GetStringAsync(path));
    }

    /// <summary>A token of <paramref name="purpose"/> whose lifetime is already over, carrying what <paramref name="genuine"/> carries.</summary>
    public static string Expired(BroadsheetServer server, string purpose, string genuine)
    {
        var protector = server.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector(purpose).ToTimeLimitedDataProtector();
        return protector.Protect(protector.Unprotect(genuine), DateTimeOffset.UtcNow.AddSeconds(-1));
    }

    /// <summary>Whether the page offers the Confirm button.</summary>
    public static bool HasConfirmButton(string page) => page.Contains(">Confirm</button>", StringComparison.Ordinal);

    private static string LinkIn(MimeMessage message, Regex pattern)
    {
        var link = pattern.Match(message.TextBody ?? "").Value;
        Assert.False(string.IsNullOrEmpty(link), $"The message '{message.Subject}' has no such link.");
        return SignupHttp.Local(link);
    }

    [GeneratedRegex(@"https?://\S+/preferences/address\?t=\S+")]
    private static partial Regex ChangeLinkPattern();

    [GeneratedRegex(@"https?://\S+/preferences\?o=\S+")]
    private static partial Regex PreferencesLinkPattern();
}
