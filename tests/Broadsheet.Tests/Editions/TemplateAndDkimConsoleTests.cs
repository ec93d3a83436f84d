using System.Net;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Broadsheet.Admin;
using Broadsheet.Editions;
using Broadsheet.Tests.Admin;
using Broadsheet.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Security;

namespace Broadsheet.Tests.Editions;

/// <summary>The console's template editor (nothing is saved unless it parses and renders in the sandbox) and the owners' DKIM page, on each database.</summary>
public abstract partial class TemplateAndDkimConsoleTests(AppFixture app)
{
    private BroadsheetServer Server => app.Server;

    private static async Task<HttpResponseMessage> SaveAsync(HttpClient client, string path, string name, string html, string text) =>
        await ConsoleHttp.PostFormAsync(client, path, new Dictionary<string, string> { ["name"] = name, ["html"] = html, ["text"] = text });

    [Fact]
    public async Task A_template_that_does_not_parse_or_loops_past_the_step_limit_is_not_saved_and_a_good_one_is_previewed()
    {
        var tag = EditionsHttp.NewTag();
        await EditionsHttp.PublishAsync(Server, $"Tide tables {tag}");
        var (editor, editorEmail) = await ConsoleHttp.SignedInAsync(Server, AdminRole.Editor);
        using var _e = editor;
        var builtInHtml = EditionRenderer.BuiltIn("edition.html.liquid");
        var builtInText = EditionRenderer.BuiltIn("edition.txt.liquid");
        var fresh = await editor.GetStringAsync("/admin/templates/new");
        Assert.Contains("&lt;h1&gt;{{ edition.subject }}&lt;/h1&gt;", fresh); // the built-in files to start from
        Assert.Contains("{{ article.section | upcase }}", fresh);
        var name = $"Template {tag}";

        using (var broken = await SaveAsync(editor, "/admin/templates/new", name, "<p>{% if edition.subject %}never closed</p>", builtInText))
        {
            var html = await broken.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.OK, broken.StatusCode);
            Assert.StartsWith("The HTML template does not parse:", EditionsHttp.FieldError(html, "html"));
            Assert.Equal("", EditionsHttp.FieldError(html, "text"));
            Assert.Contains("never closed", html); // what was typed stays in the box
        }
        var endless = builtInText + "{% for i in (1..10000) %}{% for j in (1..10000) %}{{ j }}{% endfor %}{% endfor %}";
        using (var looping = await SaveAsync(editor, "/admin/templates/new", name, builtInHtml, endless))
            Assert.Equal("The text template fails on a sample edition: The template did too much work: more than 1,000,000 steps or 20 levels of nesting. Check its loops.",
                EditionsHttp.FieldError(await looping.Content.ReadAsStringAsync(), "text"));
        using (var unnamed = await SaveAsync(editor, "/admin/templates/new", " ", builtInHtml, builtInText))
            Assert.Equal("Give a name of at most 100 characters.", EditionsHttp.FieldError(await unnamed.Content.ReadAsStringAsync(), "name"));
        Assert.False(await Server.QueryAsync(db => db.EditionTemplates.AnyAsync(t => t.Name == name)));

        var marked = builtInHtml.Replace("<h1>{{ edition.subject }}</h1>", $"<h1>{{{{ edition.subject }}}}</h1><p class=\"mark\">Mark {tag}</p>");
        using var saved = await SaveAsync(editor, "/admin/templates/new", name, marked, "Text {{ edition.subject }} " + tag);
        Assert.Equal(HttpStatusCode.Redirect, saved.StatusCode);
        var location = saved.Headers.Location!.PathAndQuery();
        var path = location.Split('?')[0];
        var page = await editor.GetStringAsync(location);
        Assert.Contains("role=\"status\">Saved.", page);
        Assert.Contains($"Text A sample edition {tag}", page); // the sample's plain-text part
        using (var preview = await editor.GetAsync($"{path}?handler=Preview&format=html"))
        {
            Assert.Contains("sandbox", preview.Headers.GetValues("Content-Security-Policy").Single());
            var body = await preview.Content.ReadAsStringAsync();
            Assert.Contains($"Mark {tag}", body);
            Assert.Contains($"Tide tables {tag}", body); // the newest articles fill the sample
        }
        Assert.Contains($">{name}</a>", await editor.GetStringAsync("/admin/templates"));

        using (var breaking = await SaveAsync(editor, path, name, marked, "{{ edition.subject"))
            Assert.StartsWith("The text template does not parse:", EditionsHttp.FieldError(await breaking.Content.ReadAsStringAsync(), "text"));
        using (var renamed = await SaveAsync(editor, path, name + " v2", marked, builtInText))
            Assert.Equal(HttpStatusCode.Redirect, renamed.StatusCode);
        var stored = await Server.QueryAsync(db => db.EditionTemplates.SingleAsync(t => t.Name == name + " v2"));
        Assert.Equal((builtInText, editorEmail), (stored.TextSource, stored.UpdatedBy));
        var audit = await Server.QueryAsync(db => db.AuditEntries.Where(a => a.Actor == editorEmail && a.Action.StartsWith("template.")).OrderBy(a => a.Id).Select(a => a.Action + " " + a.Target).ToListAsync());
        Assert.Equal([$"template.create {name}", $"template.update {name} v2"], audit);

        var (viewer, _) = await ConsoleHttp.SignedInAsync(Server, AdminRole.Viewer);
        using var _v = viewer;
        Assert.DoesNotContain(">Save</button>", await viewer.GetStringAsync(path));
        using var refused = await SaveAsync(viewer, path, "By a viewer", builtInHtml, builtInText);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        using var refusedNew = await SaveAsync(viewer, "/admin/templates/new", "By a viewer", builtInHtml, builtInText);
        Assert.Equal(HttpStatusCode.Forbidden, refusedNew.StatusCode);
        Assert.False(await Server.QueryAsync(db => db.EditionTemplates.AnyAsync(t => t.Name == "By a viewer")));
    }

    [Fact]
    public async Task Dkim_shows_the_dns_records_of_stored_RSA_and_Ed25519_keys_never_the_private_keys_and_one_key_per_type_signs()
    {
        var tag = EditionsHttp.NewTag();
        var (owner, ownerEmail) = await ConsoleHttp.SignedInAsync(Server, AdminRole.Owner);
        using var _o = owner;
        async Task<string> Generate(string domain, string selector, string? algorithm = null)
        {
            var form = new Dictionary<string, string> { ["domain"] = domain, ["selector"] = selector };
            if (algorithm is not null) form["algorithm"] = algorithm; // none posted: RSA
            using var response = await ConsoleHttp.PostFormAsync(owner, "/admin/dkim", form, "/admin/dkim?handler=Generate");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return await response.Content.ReadAsStringAsync();
        }

        foreach (var (domain, selector, field) in new[] { ("not a domain", "s1", "domain"), ("localhost", "s1", "domain"), ("10.0.0.1", "s1", "domain"), ("news.example", "bad_selector!", "selector"), ("news.example", "", "selector") })
            Assert.NotEqual("", EditionsHttp.FieldError(await Generate(domain, selector), field));
        Assert.Equal("Choose RSA or Ed25519.", EditionsHttp.FieldError(await Generate($"news-{tag}.example", "dsa1", "dsa"), "algorithm"));

        var page = await Generate($"News-{tag}.Example.", "BS2026");
        var name = $"bs2026._domainkey.news-{tag}.example";
        Assert.Contains($"Key generated for {name}.", page);
        var key = await Server.QueryAsync(db => db.SigningKeys.SingleAsync(k => k.Domain == $"news-{tag}.example"));
        Assert.Equal(("bs2026", false), (key.Selector, key.IsActive)); // it signs only once its record is published and it is activated
        using var rsa = RSA.Create();
        rsa.ImportFromPem(key.PrivateKeyPem);
        Assert.Equal(2048, rsa.KeySize);
        var published = Record().Matches(page).Select(m => m.Groups).Single(g => g[1].Value == name);
        Assert.Equal("v=DKIM1; k=rsa; p=" + Convert.ToBase64String(rsa.ExportSubjectPublicKeyInfo()), WebUtility.HtmlDecode(published[2].Value));
        Assert.DoesNotContain("PRIVATE KEY", page);
        Assert.DoesNotContain(key.PrivateKeyPem.Split('\n')[1], page);
        Assert.Contains($"{name}. IN TXT ( \"v=DKIM1; k=rsa; p=", WebUtility.HtmlDecode(page));
        Assert.Equal("rsa-sha256, 2048 bits", Algorithm(page, name));
        Assert.Contains("already has a key", EditionsHttp.FieldError(await Generate($"news-{tag}.example", "bs2026"), "selector"));

        await Generate($"news-{tag}.example", "bs2027");
        var newer = await Server.QueryAsync(db => db.SigningKeys.SingleAsync(k => k.Domain == $"news-{tag}.example" && k.Selector == "bs2027"));

        var edName = $"ed2026._domainkey.news-{tag}.example";
        var edPage = await Generate($"news-{tag}.example", "ed2026", "ed25519");
        Assert.Contains($"Key generated for {edName}.", edPage);
        var ed = await Server.QueryAsync(db => db.SigningKeys.SingleAsync(k => k.Domain == $"news-{tag}.example" && k.Selector == "ed2026"));
        var edKey = Assert.IsType<Ed25519PrivateKeyParameters>(PrivateKeyFactory.CreateKey(Convert.FromBase64String(string.Concat(ed.PrivateKeyPem.Split('\n').Where(l => !l.StartsWith("-----"))))));
        var edRecord = "v=DKIM1; k=ed25519; p=" + Convert.ToBase64String(edKey.GeneratePublicKey().GetEncoded());
        Assert.Equal(edRecord, WebUtility.HtmlDecode(Record().Matches(edPage).Select(m => m.Groups).Single(g => g[1].Value == edName)[2].Value));
        Assert.Contains($"{edName}. IN TXT ( \"{edRecord}\" )", WebUtility.HtmlDecode(edPage));
        Assert.Equal("ed25519-sha256", Algorithm(edPage, edName));
        Assert.DoesNotContain(ed.PrivateKeyPem.Split('\n')[1], edPage);
        Assert.Contains("Publishers usually keep an RSA key and add an Ed25519 key beside it", edPage);

        async Task Post(string handler, int id)
        {
            using var response = await ConsoleHttp.PostFormAsync(owner, "/admin/dkim", new Dictionary<string, string> { ["id"] = id.ToString() }, $"/admin/dkim?handler={handler}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        Task<Dictionary<string, bool>> Active() => Server.QueryAsync(db => db.SigningKeys.Where(k => k.Domain == $"news-{tag}.example").ToDictionaryAsync(k => k.Selector, k => k.IsActive));
        await Post("Activate", key.Id);
        Assert.Equal(new Dictionary<string, bool> { ["bs2026"] = true, ["bs2027"] = false, ["ed2026"] = false }, await Active());
        await Post("Activate", ed.Id); // an Ed25519 key signs beside the RSA key
        Assert.Equal(new Dictionary<string, bool> { ["bs2026"] = true, ["bs2027"] = false, ["ed2026"] = true }, await Active());
        await Post("Activate", newer.Id); // one key per domain and type
        Assert.Equal(new Dictionary<string, bool> { ["bs2026"] = false, ["bs2027"] = true, ["ed2026"] = true }, await Active());
        await Post("Deactivate", newer.Id);
        Assert.Equal(new Dictionary<string, bool> { ["bs2026"] = false, ["bs2027"] = false, ["ed2026"] = true }, await Active());

        var confirm = await owner.GetStringAsync($"/admin/dkim?confirm={key.Id}");
        Assert.Contains($"Delete the key <strong>{name}</strong>?", confirm);
        await Post("Delete", key.Id);
        Assert.Equal(new Dictionary<string, bool> { ["bs2027"] = false, ["ed2026"] = true }, await Active());

        var audit = await Server.QueryAsync(db => db.AuditEntries.Where(a => a.Actor == ownerEmail && a.Action.StartsWith("dkim.")).OrderBy(a => a.Id).Select(a => a.Action + " " + a.Target).ToListAsync());
        Assert.Equal([$"dkim.generate {name}", $"dkim.generate bs2027._domainkey.news-{tag}.example", $"dkim.generate {edName}", $"dkim.activate {name}",
            $"dkim.activate {edName}", $"dkim.activate bs2027._domainkey.news-{tag}.example", $"dkim.deactivate bs2027._domainkey.news-{tag}.example", $"dkim.delete {name}"], audit);

        var (editor, _) = await ConsoleHttp.SignedInAsync(Server, AdminRole.Editor);
        using var _e = editor;
        using var denied = await editor.GetAsync("/admin/dkim");
        Assert.StartsWith("/admin/denied", denied.Headers.Location!.PathAndQuery());
        Assert.DoesNotContain("href=\"/admin/dkim\"", await editor.GetStringAsync("/admin/editions"));
        Assert.Contains("href=\"/admin/dkim\"", await owner.GetStringAsync("/admin/editions"));
        using var refused = await ConsoleHttp.PostFormAsync(editor, "/admin/editions", new Dictionary<string, string> { ["id"] = newer.Id.ToString() }, "/admin/dkim?handler=Delete");
        Assert.StartsWith("/admin/denied", refused.Headers.Location!.PathAndQuery());
        Assert.Equal(2, (await Active()).Count);
    }

    /// <summary>The algorithm the page names for the key published at <paramref name="name"/>.</summary>
    private static string Algorithm(string page, string name) =>
        Regex.Match(page, $"""<section class="card dns-record" data-key="{Regex.Escape(name)}"[\s\S]*?data-algorithm>([^<]*?) · """).Groups[1].Value;

    [GeneratedRegex("""<input id="name-\d+" type="text" readonly value="([^"]+)" data-dns-name>[\s\S]*?<textarea id="value-\d+" readonly data-dns-value>([^<]+)</textarea>""")]
    private static partial Regex Record();
}

[Collection(SqliteCollection.Name)]
public sealed class SqliteTemplateAndDkimConsoleTests(SqliteApp app) : TemplateAndDkimConsoleTests(app);

[Collection(PostgresCollection.Name)]
public sealed class PostgresTemplateAndDkimConsoleTests(PostgresApp app) : TemplateAndDkimConsoleTests(app);
