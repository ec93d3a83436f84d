using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using MimeKit;

namespace Broadsheet.Tests.Signup;

/// <summary>Sign-ups and confirmations as a browser or an app sends them over HTTP.</summary>
public static partial class SignupHttp
{
    /// <summary>Posts the module's form; <paramref name="json"/> answers like signup.js gets it, otherwise a redirect.</summary>
    public static Task<HttpResponseMessage> PostFormAsync(HttpClient client, string email, string newsletter = Infrastructure.TestData.Default,
        bool json = false, IDictionary<string, string>? extra = null, string? forwardedFor = null, string? origin = null)
    {
        var fields = new Dictionary<string, string> { ["email"] = email, ["newsletter"] = newsletter, ["returnUrl"] = "/" };
        foreach (var (k, v) in extra ?? new Dictionary<string, string>()) fields[k] = v;
        var request = new HttpRequestMessage(HttpMethod.Post, "/signup") { Content = new FormUrlEncodedContent(fields) };
        if (json) request.Headers.Accept.ParseAdd("application/json");
        if (forwardedFor is not null) request.Headers.Add("X-Forwarded-For", forwardedFor);
        if (origin is not null) request.Headers.Add("Origin", origin);
        return client.SendAsync(request);
    }

    /// <summary>Posts the form asking for JSON and returns the state it answers.</summary>
    public static async Task<string> SignUpAsync(HttpClient client, string email, string newsletter = Infrastructure.TestData.Default)
    {
        using var response = await PostFormAsync(client, email, newsletter, json: true);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("state").GetString()!;
    }

    /// <summary><c>POST /api/public/subscriptions</c>.</summary>
    public static Task<HttpResponseMessage> PostApiAsync(HttpClient client, object body, string? forwardedFor = null, string? origin = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/public/subscriptions") { Content = JsonContent.Create(body) };
        if (forwardedFor is not null) request.Headers.Add("X-Forwarded-For", forwardedFor);
        if (origin is not null) request.Headers.Add("Origin", origin);
        return client.SendAsync(request);
    }

    /// <summary>The confirmation link in a message's plain-text part.</summary>
    public static string ConfirmLink(MimeMessage message)
    {
        var link = ConfirmLinkPattern().Match(message.TextBody ?? "").Value;
        Assert.False(string.IsNullOrEmpty(link), "The message has no confirmation link.");
        return link;
    }

    /// <summary>Path and query of <paramref name="link"/>, to send to the app under test.</summary>
    public static string Local(string link) => new Uri(link).PathAndQuery;

    /// <summary>Opens the confirmation page and presses its Confirm button; returns the page after the post.</summary>
    public static async Task<string> ConfirmAsync(HttpClient client, string link)
    {
        var page = await client.GetStringAsync(Local(link));
        var token = TokenField().Match(page);
        Assert.True(token.Success, "The confirmation page has no Confirm form.");
        using var confirm = await client.PostAsync(Local(link), new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["token"] = System.Net.WebUtility.HtmlDecode(token.Groups[1].Value),
            ["__RequestVerificationToken"] = AntiforgeryField().Match(page).Groups[1].Value,
        }));
        Assert.Equal(System.Net.HttpStatusCode.OK, confirm.StatusCode);
        return await confirm.Content.ReadAsStringAsync();
    }

    [GeneratedRegex(@"https?://\S+/confirm\?token=\S+")]
    private static partial Regex ConfirmLinkPattern();

    [GeneratedRegex("name=\"token\" value=\"([^\"]+)\"")]
    private static partial Regex TokenField();

    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();
}
