using Broadsheet.Admin;
using Broadsheet.Articles;
using Broadsheet.Data;
using Broadsheet.Delivery;
using Broadsheet.Demo;
using Broadsheet.Editions;
using Broadsheet.Mail;
using Broadsheet.Import;
using Broadsheet.Jobs;
using Broadsheet.Newsletters;
using Broadsheet.Subscribers;
using Broadsheet.Signup;
using Broadsheet.Site;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Broadsheet;

/// <summary>Composes the whole app (pages, API, workers) so that Program and the tests start exactly the same thing.</summary>
public static class BroadsheetApp
{
    public static async Task<WebApplication> CreateAsync(string[] args)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            ApplicationName = typeof(BroadsheetApp).Assembly.GetName().Name,
            ContentRootPath = FindContentRoot(),
        });
        var config = builder.Configuration;
        var services = builder.Services;
        var dataPath = Path.GetFullPath(config["DataPath"] is { Length: > 0 } p ? p : "./data");
        Directory.CreateDirectory(dataPath);

        services.Configure<SiteOptions>(config.GetSection("Site"));
        services.Configure<MailOptions>(config.GetSection("Mail"));
        builder.AddBroadsheetDatabase(dataPath);
        builder.AddSignup();

        services.AddDataProtection().SetApplicationName("Broadsheet").PersistKeysToDbContext<BroadsheetDb>();
        services.AddSingleton(AdminToken.Resolve(config, dataPath));
        builder.AddConsoleAuth();
        services.AddScoped<UserAccounts>();
        services.AddScoped<SuppressionList>();
        services.AddSingleton<SuppressionKey>();
        services.AddScoped<PersonalData>();
        services.AddScoped<Unsubscribing>();
        services.AddScoped<AddressChange>();
        services.AddScoped<PreferencesLinks>();
        services.AddSingleton<JobSignal>();
        services.AddScoped<BulkActions>();
        services.AddScoped<IJobRunner>(sp => sp.GetRequiredService<BulkActions>());
        services.AddSingleton(new DataFolder(dataPath));
        services.AddScoped<ImportJobs>();
        services.AddScoped<ImportRunner>();
        services.AddScoped<IJobRunner>(sp => sp.GetRequiredService<ImportRunner>());
        services.AddSingleton<JobWorker>();
        services.AddHostedService(sp => sp.GetRequiredService<JobWorker>());

        // Pages carry typographic characters (… ’ ■); emit them as UTF-8 rather than as numeric entities.
        services.AddWebEncoders(o => o.TextEncoderSettings = new System.Text.Encodings.Web.TextEncoderSettings(System.Text.Unicode.UnicodeRanges.All));
        services.AddHttpContextAccessor();
        services.AddSingleton<PublicLinks>();
        services.AddProblemDetails();
        services.AddOpenApi();
        services.AddMemoryCache();
        services.AddSingleton<ArticleLookup>();
        services.AddSingleton<NewsletterDirectory>();
        services.AddSingleton<SqliteWriteGate>();
        services.AddOutputCache(o => o.AddBasePolicy(new ArticleCache()));
        services.AddRazorPages(o => o.RootDirectory = "/");
        services.Configure<ForwardedHeadersOptions>(o => o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto);

        services.AddSingleton(new EmailTemplates(dataPath));
        services.AddSingleton<MailSignal>();
        services.AddSingleton<MailQueue>();
        services.AddSingleton<MailHandoff>();
        var transport = (config["Mail:Transport"] ?? "outbox").Trim().ToLowerInvariant();
        if (transport == "smtp") services.AddSingleton<IMailTransport>(sp => new SmtpTransport(sp.GetRequiredService<IOptions<MailOptions>>().Value.Smtp));
        else if (transport == "outbox") services.AddSingleton<IMailTransport>(new OutboxTransport(dataPath));
        else throw new InvalidOperationException($"Mail:Transport must be 'outbox' or 'smtp', not '{transport}'.");
        builder.AddDelivery();
        services.AddScoped<Editions.EditionRenderer>();
        services.AddScoped<Editions.EditionActions>();
        services.AddScoped<Editions.EditionComposer>();
        services.AddScoped<Editions.TestSend>();
        services.Configure<Editions.EditionOptions>(config.GetSection("Editions"));
        services.AddHostedService<Editions.ScheduleWorker>();
        services.AddSingleton<MailWorker>();
        services.AddHostedService(sp => sp.GetRequiredService<MailWorker>());

        var app = builder.Build();
        await DatabaseSetup.MigrateAsync(app.Services);
        await app.Services.GetRequiredService<SuppressionKey>().GetAsync(CancellationToken.None); // before any request races to create it
        await app.Services.GetRequiredService<LinkKey>().GetAsync(CancellationToken.None); // and because links are minted synchronously
        await DemoContent.EnsureAsync(app.Services, app.Services.GetRequiredService<IOptions<SiteOptions>>().Value, config.GetValue("Demo:Seed", false));
        app.Logger.LogInformation("Data folder: {DataPath}; database: {Provider}; mail: {Transport}", dataPath, config["Database:Provider"] ?? "sqlite", transport);

        app.UseForwardedHeaders();
        app.Use(SecurityHeaders);
        // Cached public pages are served here, before error handling, routing, CORS, rate limits and authentication,
        // none of which a page that is the same for every reader needs (an A/B of the two orders: 18-39 % more
        // article pages a second, 5-11 µs less CPU each; docs/benchmarks.md). ArticleCache picks the pages by path,
        // as routing has not run yet.
        app.UseOutputCache();
        app.UseWhen(c => c.Request.Path.StartsWithSegments("/api"), a => a.UseExceptionHandler());
        app.UseWhen(c => !c.Request.Path.StartsWithSegments("/api"), a => a.UseExceptionHandler("/error"));
        // API clients get problem details for bodiless errors (e.g. a body that is not JSON); people get the error page.
        app.UseWhen(c => c.Request.Path.StartsWithSegments("/api"), a => a.UseStatusCodePages());
        app.UseWhen(c => !c.Request.Path.StartsWithSegments("/api"), a => a.UseStatusCodePagesWithReExecute("/error", "?status={0}"));
        app.UseStaticFiles();
        app.UseRouting();
        app.UseCors();
        app.UseRateLimiter();
        app.UseAuthentication();
        app.UseAuthorization();

        app.MapRazorPages();
        app.MapSignup();
        app.MapArticles();
        app.MapNewsletters();
        app.MapEditions();
        app.MapSubscriberExport();
        app.MapImports();
        app.MapOneClickUnsubscribe();
        app.MapSendEndpoints();
        app.MapOpenApi();
        app.MapGet("/healthz", async (BroadsheetDb db, CancellationToken ct) =>
            await db.Database.CanConnectAsync(ct) ? Results.Text("ok") : Results.Text("database unreachable", statusCode: 503)).ExcludeFromDescription();
        return app;
    }

    private static Task SecurityHeaders(HttpContext context, Func<Task> next)
    {
        context.Response.OnStarting(() =>
        {
            var headers = context.Response.Headers;
            headers.XContentTypeOptions = "nosniff";
            headers["Referrer-Policy"] = "strict-origin-when-cross-origin";
            if (!headers.ContainsKey("Content-Security-Policy"))
                headers.ContentSecurityPolicy = "default-src 'self'; img-src 'self' data: https:; frame-ancestors 'self'; form-action 'self'";
            return Task.CompletedTask;
        });
        return next();
    }

    /// <summary>The project folder when running from source (so wwwroot and appsettings.json are found), else the app's folder.</summary>
    private static string FindContentRoot()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Broadsheet.csproj"))) return dir.FullName;
                var nested = Path.Combine(dir.FullName, "src", "Broadsheet");
                if (File.Exists(Path.Combine(nested, "Broadsheet.csproj"))) return nested;
            }
        }
        return AppContext.BaseDirectory;
    }
}
