using System.Net.Http.Json;
using System.Text.Json;
using Broadsheet.Admin;
using Broadsheet.Editions;
using Broadsheet.Tests.Admin;
using Broadsheet.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Broadsheet.Tests.Editions;

/// <summary>Newsletters, articles and editions made over the API for the edition tests, and the few state changes that belong to the send engine.</summary>
public static class EditionHttp
{
    /// <summary>A fresh newsletter of the test's own (so no one else's subscribers or editions are involved); returns its slug.</summary>
    public static async Task<string> NewsletterAsync(BroadsheetServer server, bool isPublic = true, string? name = null, object? schedule = null)
    {
        using var api = server.CreateClient(admin: true);
        var slug = "ed-" + Guid.NewGuid().ToString("N")[..12];
        using var response = await api.PostAsJsonAsync("/api/newsletters", new { slug, name = name ?? "Edition Test " + slug[3..9], description = "For edition tests.", isPublic, schedule });
        Assert.Equal(System.Net.HttpStatusCode.Created, response.StatusCode);
        return slug;
    }

    /// <summary>Publishes an article; returns its id and public URL.</summary>
    public static async Task<(int Id, string Url)> ArticleAsync(BroadsheetServer server, string headline, string? standfirst = null, string body = "First paragraph.\n\nSecond paragraph.", string section = "News")
    {
        using var api = server.CreateClient(admin: true);
        using var response = await api.PostAsJsonAsync("/api/articles", new { headline, section, body, standfirst });
        response.EnsureSuccessStatusCode();
        var json = await response.Content.ReadFromJsonAsync<JsonElement>();
        return (json.GetProperty("id").GetInt32(), json.GetProperty("url").GetString()!);
    }

    /// <summary>Creates an edition and returns it; fails the test unless the API answers 201.</summary>
    public static async Task<JsonElement> EditionAsync(BroadsheetServer server, string slug, object body)
    {
        using var api = server.CreateClient(admin: true);
        using var response = await api.PostAsJsonAsync($"/api/newsletters/{slug}/editions", body);
        var json = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.Created, $"{response.StatusCode}: {json}");
        return json;
    }

    public static async Task<long> EditionIdAsync(BroadsheetServer server, string slug, object body) =>
        (await EditionAsync(server, slug, body)).GetProperty("id").GetInt64();

    /// <summary>Starts sending, as the send endpoint (Delivery) would.</summary>
    public static async Task StartAsync(BroadsheetServer server, long id)
    {
        await using var scope = server.Services.CreateAsyncScope();
        Assert.True(await scope.ServiceProvider.GetRequiredService<EditionActions>().SendNowAsync(id, CancellationToken.None));
    }

    /// <summary>Sets a status directly, standing in for the send engine finishing or the editor cancelling.</summary>
    public static Task SetStatusAsync(BroadsheetServer server, long id, EditionStatus status) =>
        server.QueryAsync(db => db.Editions.Where(e => e.Id == id).ExecuteUpdateAsync(u => u.SetProperty(e => e.Status, status)
            .SetProperty(e => e.StartedAt, e => e.StartedAt ?? DateTime.UtcNow)));

    /// <summary>A client with a personal API token of a new user with <paramref name="role"/>.</summary>
    public static async Task<HttpClient> TokenClientAsync(BroadsheetServer server, AdminRole role)
    {
        var email = await ConsoleHttp.CreateUserAsync(server, role);
        var token = ApiTokens.Generate();
        await server.QueryAsync(async db =>
        {
            var user = await db.AdminUsers.SingleAsync(u => u.Email == email);
            db.ApiTokens.Add(new ApiToken { UserId = user.Id, Name = "test", Hash = ApiTokens.Hash(token), Prefix = token[..10], CreatedAt = DateTime.UtcNow });
            return await db.SaveChangesAsync();
        });
        var client = server.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", token);
        return client;
    }

    /// <summary>Polls until <paramref name="condition"/> holds (the schedule worker runs every quarter second in tests).</summary>
    public static async Task<T> EventuallyAsync<T>(Func<Task<T>> read, Func<T, bool> condition, string what, int seconds = 20)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            var value = await read();
            if (condition(value)) return value;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Still waiting for {what}; last seen: {value}.");
            await Task.Delay(100);
        }
    }
}
