using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Broadsheet.Admin;
using Broadsheet.Tests.Infrastructure;

namespace Broadsheet.Tests.Admin;

/// <summary><c>GET/POST /api/newsletters</c> and <c>GET/PUT /api/newsletters/{slug}</c>, and the console form, with every field.</summary>
public abstract class NewsletterApiTests(AppFixture app)
{
    [Fact]
    public async Task Create_read_edit_and_archive_a_newsletter_through_the_api()
    {
        using var api = app.Server.CreateClient(admin: true);
        var slug = "n-" + Guid.NewGuid().ToString("N")[..12];
        using var created = await api.PostAsJsonAsync("/api/newsletters", new
        {
            slug, name = "Night Owl", description = "Late news.", senderName = "The Desk", senderEmail = "desk@Example.com",
            replyTo = "letters@example.com", doubleOptIn = false, isPublic = false, suggested = new[] { TestData.Default, TestData.Second },
        });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal($"/api/newsletters/{slug}", created.Headers.Location!.OriginalString);

        var read = await api.GetFromJsonAsync<JsonElement>($"/api/newsletters/{slug}");
        Assert.Equal("Night Owl", read.GetProperty("name").GetString());
        Assert.Equal("Late news.", read.GetProperty("description").GetString());
        Assert.Equal("The Desk", read.GetProperty("senderName").GetString());
        Assert.Equal("desk@example.com", read.GetProperty("senderEmail").GetString());
        Assert.Equal("letters@example.com", read.GetProperty("replyTo").GetString());
        Assert.False(read.GetProperty("doubleOptIn").GetBoolean());
        Assert.False(read.GetProperty("isPublic").GetBoolean());
        Assert.Equal([TestData.Default, TestData.Second], read.GetProperty("suggested").EnumerateArray().Select(e => e.GetString()));

        using var edited = await api.PutAsJsonAsync($"/api/newsletters/{slug}", new { name = "Night Owls", doubleOptIn = true, isArchived = true, suggested = new[] { TestData.Second } });
        Assert.Equal(HttpStatusCode.OK, edited.StatusCode);
        read = await api.GetFromJsonAsync<JsonElement>($"/api/newsletters/{slug}");
        Assert.Equal("Night Owls", read.GetProperty("name").GetString());
        Assert.Equal("The Desk", read.GetProperty("senderName").GetString()); // fields not sent keep their value
        Assert.True(read.GetProperty("doubleOptIn").GetBoolean());
        Assert.True(read.GetProperty("isArchived").GetBoolean());
        Assert.Equal([TestData.Second], read.GetProperty("suggested").EnumerateArray().Select(e => e.GetString()));

        var list = await api.GetFromJsonAsync<JsonElement>("/api/newsletters");
        Assert.Contains(list.EnumerateArray(), n => n.GetProperty("slug").GetString() == slug);
    }

    [Fact]
    public async Task Bad_newsletters_get_field_errors_and_change_nothing()
    {
        using var api = app.Server.CreateClient(admin: true);
        using var bad = await api.PostAsJsonAsync("/api/newsletters", new { slug = "Not A Slug", name = "", senderEmail = "nope", suggested = new[] { "missing-one" } });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var errors = (await bad.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");
        Assert.True(errors.TryGetProperty("slug", out _));
        Assert.True(errors.TryGetProperty("name", out _));
        Assert.True(errors.TryGetProperty("senderEmail", out _));

        using var taken = await api.PostAsJsonAsync("/api/newsletters", new { slug = TestData.Default, name = "Again" });
        Assert.Equal(HttpStatusCode.BadRequest, taken.StatusCode);
        using var unknown = await api.PutAsJsonAsync("/api/newsletters/no-such-one", new { name = "x" });
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        using var suggestion = await api.PutAsJsonAsync($"/api/newsletters/{TestData.Second}", new { suggested = new[] { "missing-one" } });
        Assert.Equal(HttpStatusCode.BadRequest, suggestion.StatusCode);
        using var notJson = await api.PostAsync("/api/newsletters", new StringContent("{", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, notJson.StatusCode);
    }

    [Fact]
    public async Task Editors_create_and_archive_newsletters_in_the_console()
    {
        var (editor, email) = await ConsoleHttp.SignedInAsync(app.Server, AdminRole.Editor);
        using (editor)
        {
            var slug = "c-" + Guid.NewGuid().ToString("N")[..12];
            var fields = new Dictionary<string, string>
            {
                ["slug"] = slug, ["name"] = "Console Made", ["description"] = "From the form", ["senderName"] = "Desk",
                ["senderEmail"] = "desk@example.com", ["replyTo"] = "", ["doubleOptIn"] = "true", ["isPublic"] = "true", ["suggested"] = TestData.Second,
            };
            using var created = await ConsoleHttp.PostFormAsync(editor, "/admin/newsletters/edit", fields);
            Assert.Equal(HttpStatusCode.Redirect, created.StatusCode);
            Assert.Contains("Console Made", await editor.GetStringAsync("/admin/newsletters"));

            fields["isArchived"] = "true";
            using var archived = await ConsoleHttp.PostFormAsync(editor, $"/admin/newsletters/edit/{slug}", fields);
            Assert.Equal(HttpStatusCode.Redirect, archived.StatusCode);
            using var api = app.Server.CreateClient(admin: true);
            var read = await api.GetFromJsonAsync<JsonElement>($"/api/newsletters/{slug}");
            Assert.True(read.GetProperty("isArchived").GetBoolean());
            Assert.Equal([TestData.Second], read.GetProperty("suggested").EnumerateArray().Select(e => e.GetString()));
            var entries = await app.Server.QueryAsync(db => Task.FromResult(db.AuditEntries.Where(e => e.Actor == email).Select(e => e.Action).ToList()));
            Assert.Contains("newsletter.create", entries);
            Assert.Contains("newsletter.update", entries);
        }
    }
}

[Collection(SqliteCollection.Name)]
public sealed class NewsletterApiTestsOnSqlite(SqliteApp app) : NewsletterApiTests(app);

[Collection(PostgresCollection.Name)]
public sealed class NewsletterApiTestsOnPostgres(PostgresApp app) : NewsletterApiTests(app);
