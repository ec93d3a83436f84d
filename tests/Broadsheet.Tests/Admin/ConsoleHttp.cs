using System.Net;
using System.Text.RegularExpressions;
using Broadsheet.Admin;
using Broadsheet.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Broadsheet.Tests.Admin;

/// <summary>Console users and their sessions over HTTP: create a user, sign in, post forms with their anti-forgery token.</summary>
public static partial class ConsoleHttp
{
    public const string Password = "correct horse battery staple";

    /// <summary>Creates a console user through <see cref="UserAccounts"/> in the app's own services.</summary>
    public static async Task<string> CreateUserAsync(BroadsheetServer server, AdminRole role, string password = Password)
    {
        var email = TestData.NewEmail(role.ToString().ToLowerInvariant());
        await using var scope = server.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<UserAccounts>().CreateAsync(email, role, password, "test", CancellationToken.None);
        return email;
    }

    /// <summary>Posts the sign-in form and returns the answer (a redirect to /admin when it worked).</summary>
    public static async Task<HttpResponseMessage> PostSignInAsync(HttpClient client, string email, string password)
    {
        var token = await TokenAsync(client, "/admin/signin");
        return await client.PostAsync("/admin/signin", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["Email"] = email, ["Password"] = password, ["__RequestVerificationToken"] = token,
        }));
    }

    /// <summary>A client with its own cookie jar, signed in as a new user of <paramref name="role"/>.</summary>
    public static async Task<(HttpClient Client, string Email)> SignedInAsync(BroadsheetServer server, AdminRole role)
    {
        var email = await CreateUserAsync(server, role);
        var client = server.CreateClient(cookies: true);
        using var response = await PostSignInAsync(client, email, Password);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        return (client, email);
    }

    /// <summary>The anti-forgery token of the form on <paramref name="page"/>.</summary>
    public static async Task<string> TokenAsync(HttpClient client, string page)
    {
        var html = await client.GetStringAsync(page);
        var match = AntiforgeryField().Match(html);
        Assert.True(match.Success, $"{page} has no anti-forgery token.");
        return match.Groups[1].Value;
    }

    /// <summary>Posts a form of <paramref name="page"/> (to <paramref name="action"/>, default the page itself) with its token.</summary>
    public static async Task<HttpResponseMessage> PostFormAsync(HttpClient client, string page, IDictionary<string, string> fields, string? action = null)
    {
        var values = new Dictionary<string, string>(fields) { ["__RequestVerificationToken"] = await TokenAsync(client, page) };
        return await client.PostAsync(action ?? page, new FormUrlEncodedContent(values));
    }

    /// <summary>Waits until a job is no longer queued or running and returns its final state.</summary>
    public static async Task<Jobs.Job> WaitForJobAsync(BroadsheetServer server, long id)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var job = await server.QueryAsync(db => Task.FromResult(db.Jobs.First(j => j.Id == id)));
            if (job.Status is not (Jobs.JobStatus.Queued or Jobs.JobStatus.Running)) return job;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Job {id} is still {job.Status}.");
            await Task.Delay(100);
        }
    }

    /// <summary>The job id a console action redirected to (<c>/admin/jobs/ID</c>).</summary>
    public static long JobId(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var match = JobPath().Match(response.Headers.Location!.OriginalString);
        Assert.True(match.Success, $"Redirected to {response.Headers.Location} instead of a job page.");
        return long.Parse(match.Groups[1].Value);
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();

    [GeneratedRegex(@"^/admin/jobs/(\d+)$")]
    private static partial Regex JobPath();
}
