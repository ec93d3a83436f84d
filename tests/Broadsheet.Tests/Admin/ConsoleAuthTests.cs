using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Broadsheet.Admin;
using Broadsheet.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Broadsheet.Tests.Admin;

/// <summary>Console sign-in, lockout, session revocation, cookie flags, anti-forgery, roles, personal API tokens, audit log.</summary>
[Collection(SqliteCollection.Name)]
public sealed class ConsoleAuthTests(SqliteApp app)
{
    private BroadsheetServer Server => app.Server;

    [Fact]
    public async Task Passwords_are_stored_with_the_identity_hasher_and_sign_in_sets_a_strict_http_only_cookie()
    {
        var email = await ConsoleHttp.CreateUserAsync(Server, AdminRole.Editor);
        var hash = await Server.QueryAsync(db => db.AdminUsers.Where(u => u.Email == email).Select(u => u.PasswordHash).SingleAsync());
        Assert.DoesNotContain(ConsoleHttp.Password, hash);
        Assert.Equal(0x01, Convert.FromBase64String(hash)[0]); // Identity v3 format: PBKDF2 with a salt

        using var client = Server.CreateClient(cookies: true);
        var token = await ConsoleHttp.TokenAsync(client, "/admin/signin");
        // Behind a TLS-terminating proxy on loopback the cookie must also be Secure.
        var request = new HttpRequestMessage(HttpMethod.Post, "/admin/signin")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["Email"] = email, ["Password"] = ConsoleHttp.Password, ["__RequestVerificationToken"] = token }),
        };
        request.Headers.Add("X-Forwarded-Proto", "https");
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var cookie = response.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("bs_console="));
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("secure", cookie, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_form_post_without_the_anti_forgery_token_is_refused()
    {
        var email = await ConsoleHttp.CreateUserAsync(Server, AdminRole.Owner);
        using var client = Server.CreateClient(cookies: true);
        using var signIn = await client.PostAsync("/admin/signin", new FormUrlEncodedContent(new Dictionary<string, string> { ["Email"] = email, ["Password"] = ConsoleHttp.Password }));
        Assert.Equal(HttpStatusCode.BadRequest, signIn.StatusCode);

        using var signedIn = await ConsoleHttp.PostSignInAsync(client, email, ConsoleHttp.Password);
        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        using var add = await client.PostAsync("/admin/users?handler=Add", new FormUrlEncodedContent(new Dictionary<string, string> { ["email"] = TestData.NewEmail(), ["role"] = "Owner" }));
        Assert.Equal(HttpStatusCode.BadRequest, add.StatusCode);
    }

    [Fact]
    public async Task Wrong_passwords_lock_the_account_even_against_the_right_one()
    {
        var email = await ConsoleHttp.CreateUserAsync(Server, AdminRole.Viewer);
        using var client = Server.CreateClient(cookies: true);
        for (var i = 1; i < UserAccounts.MaxFailedSignIns; i++)
        {
            using var wrong = await ConsoleHttp.PostSignInAsync(client, email, "not the password " + i);
            Assert.Equal(HttpStatusCode.OK, wrong.StatusCode);
            Assert.Contains("Wrong email or password.", await wrong.Content.ReadAsStringAsync());
        }
        using var last = await ConsoleHttp.PostSignInAsync(client, email, "not the password either");
        Assert.Contains("Too many failed attempts", await last.Content.ReadAsStringAsync());

        using var right = await ConsoleHttp.PostSignInAsync(client, email, ConsoleHttp.Password);
        Assert.Equal(HttpStatusCode.OK, right.StatusCode);
        Assert.Contains("Too many failed attempts", await right.Content.ReadAsStringAsync());
        Assert.True(await Server.QueryAsync(db => db.AdminUsers.AnyAsync(u => u.Email == email && u.LockedUntil > DateTime.UtcNow)));
    }

    [Fact]
    public async Task Changing_the_password_ends_every_other_session_but_this_one()
    {
        var email = await ConsoleHttp.CreateUserAsync(Server, AdminRole.Editor);
        using var first = Server.CreateClient(cookies: true);
        using var second = Server.CreateClient(cookies: true);
        Assert.Equal(HttpStatusCode.Redirect, (await ConsoleHttp.PostSignInAsync(first, email, ConsoleHttp.Password)).StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await ConsoleHttp.PostSignInAsync(second, email, ConsoleHttp.Password)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await second.GetAsync("/admin/subscribers")).StatusCode);

        const string newPassword = "a brand new long password";
        using var change = await ConsoleHttp.PostFormAsync(first, "/admin/account",
            new Dictionary<string, string> { ["current"] = ConsoleHttp.Password, ["password"] = newPassword, ["confirm"] = newPassword }, "/admin/account?handler=Password");
        Assert.Contains("Password changed", await change.Content.ReadAsStringAsync());

        using var stale = await second.GetAsync("/admin/subscribers");
        Assert.Equal(HttpStatusCode.Redirect, stale.StatusCode);
        Assert.StartsWith("/admin/signin", stale.Headers.Location!.PathAndQuery());
        Assert.Equal(HttpStatusCode.OK, (await first.GetAsync("/admin/subscribers")).StatusCode);

        using var old = Server.CreateClient(cookies: true);
        Assert.Equal(HttpStatusCode.OK, (await ConsoleHttp.PostSignInAsync(old, email, ConsoleHttp.Password)).StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await ConsoleHttp.PostSignInAsync(old, email, newPassword)).StatusCode);
    }

    [Fact]
    public async Task Roles_decide_who_manages_users_and_reads_the_audit_log()
    {
        var (viewer, _) = await ConsoleHttp.SignedInAsync(Server, AdminRole.Viewer);
        var (editor, _) = await ConsoleHttp.SignedInAsync(Server, AdminRole.Editor);
        var (owner, ownerEmail) = await ConsoleHttp.SignedInAsync(Server, AdminRole.Owner);
        using (viewer) using (editor) using (owner)
        {
            Assert.Equal(HttpStatusCode.OK, (await viewer.GetAsync("/admin/subscribers")).StatusCode);
            foreach (var client in new[] { viewer, editor })
            {
                foreach (var ownersOnly in new[] { "/admin/users", "/admin/audit" })
                {
                    using var denied = await client.GetAsync(ownersOnly);
                    Assert.Equal(HttpStatusCode.Redirect, denied.StatusCode);
                    Assert.StartsWith("/admin/denied", denied.Headers.Location!.PathAndQuery());
                }
            }
            using (var editorOnly = await viewer.GetAsync("/admin/subscribers/add"))
                Assert.StartsWith("/admin/denied", editorOnly.Headers.Location!.PathAndQuery());
            Assert.Equal(HttpStatusCode.OK, (await editor.GetAsync("/admin/subscribers/add")).StatusCode);

            var added = TestData.NewEmail("added");
            using var add = await ConsoleHttp.PostFormAsync(owner, "/admin/users", new Dictionary<string, string> { ["email"] = added, ["role"] = "Viewer" }, "/admin/users?handler=Add");
            var page = await add.Content.ReadAsStringAsync();
            var password = System.Text.RegularExpressions.Regex.Match(page, "data-new-password>([^<]+)<").Groups[1].Value;
            Assert.NotEmpty(password);
            Assert.DoesNotContain(password, await owner.GetStringAsync("/admin/users")); // shown only once
            using var newcomer = Server.CreateClient(cookies: true);
            Assert.Equal(HttpStatusCode.Redirect, (await ConsoleHttp.PostSignInAsync(newcomer, added, WebUtility.HtmlDecode(password))).StatusCode);

            var audit = await owner.GetStringAsync("/admin/audit");
            Assert.Contains("user.add", audit);
            Assert.Contains(added, audit);
            Assert.Contains(ownerEmail, audit);
        }
    }

    [Fact]
    public async Task Personal_tokens_are_shown_once_stored_hashed_act_with_the_role_and_can_be_revoked()
    {
        var (viewer, email) = await ConsoleHttp.SignedInAsync(Server, AdminRole.Viewer);
        using (viewer)
        {
            using var created = await ConsoleHttp.PostFormAsync(viewer, "/admin/account", new Dictionary<string, string> { ["name"] = "laptop" }, "/admin/account?handler=CreateToken");
            var token = System.Text.RegularExpressions.Regex.Match(await created.Content.ReadAsStringAsync(), "data-new-token>([^<]+)<").Groups[1].Value;
            Assert.StartsWith(ApiTokens.Prefix, token);
            Assert.DoesNotContain(token, await viewer.GetStringAsync("/admin/account"));
            var stored = await Server.QueryAsync(db => db.ApiTokens.Where(t => t.User.Email == email).ToListAsync());
            Assert.Equal(ApiTokens.Hash(token), Assert.Single(stored).Hash);
            Assert.DoesNotContain(stored, t => t.Hash.Contains(token[3..]));

            using var api = Server.CreateClient();
            api.DefaultRequestHeaders.Authorization = new("Bearer", token);
            Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/api/newsletters")).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await api.PostAsJsonAsync("/api/newsletters", new { slug = "viewer-made", name = "No" })).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await api.PutAsJsonAsync($"/api/newsletters/{TestData.Default}", new { name = "Hijacked" })).StatusCode);
            using (var import = await api.PostAsync($"/api/subscribers/import?newsletter={TestData.Default}", new StringContent("email\nx@example.com\n", System.Text.Encoding.UTF8, "text/csv")))
                Assert.Equal(HttpStatusCode.Forbidden, import.StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await api.GetAsync("/api/subscribers/export")).StatusCode);

            var id = stored[0].Id;
            using var revoke = await ConsoleHttp.PostFormAsync(viewer, "/admin/account", new Dictionary<string, string> { ["id"] = id.ToString() }, "/admin/account?handler=RevokeToken");
            Assert.Contains("revoked", await revoke.Content.ReadAsStringAsync());
            Assert.Equal(HttpStatusCode.Unauthorized, (await api.GetAsync("/api/newsletters")).StatusCode);
        }

        using var bootstrap = Server.CreateClient(admin: true);
        Assert.Equal(HttpStatusCode.OK, (await bootstrap.GetAsync("/api/newsletters")).StatusCode);
        using var anonymous = Server.CreateClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/newsletters")).StatusCode);
        anonymous.DefaultRequestHeaders.Authorization = new("Bearer", "bs_made-up");
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/newsletters")).StatusCode);
    }

    [Fact]
    public async Task The_json_api_ignores_the_console_cookie_so_a_signed_in_browser_cannot_be_made_to_call_it()
    {
        var (owner, _) = await ConsoleHttp.SignedInAsync(app.Server, AdminRole.Owner);
        using var _o = owner;
        using var console = await owner.GetAsync("/admin/newsletters");
        Assert.Equal(System.Net.HttpStatusCode.OK, console.StatusCode);
        using var api = await owner.GetAsync("/api/newsletters");
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, api.StatusCode);
        using var bearer = app.Server.CreateClient(admin: true);
        using var withToken = await bearer.GetAsync("/api/newsletters");
        Assert.Equal(System.Net.HttpStatusCode.OK, withToken.StatusCode);
    }
}

/// <summary>Small helpers for redirect targets, absolute or relative.</summary>
public static class UriExtensions
{
    public static string PathAndQuery(this Uri uri) => uri.IsAbsoluteUri ? uri.PathAndQuery : uri.OriginalString;
}
