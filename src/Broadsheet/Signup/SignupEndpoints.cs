using Broadsheet.Data;
using System.Text.Json.Serialization;
using System.Threading.RateLimiting;
using Broadsheet.Site;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace Broadsheet.Signup;

/// <summary>The two ways in: the module's form post (<c>/signup</c>) and the public JSON API for apps.</summary>
public static class SignupEndpoints
{
    public const string RateLimitPolicy = "signup";
    public const string CorsPolicy = "signup-embed";

    public static void AddSignup(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.Configure<SignupOptions>(builder.Configuration.GetSection("Signup"));
        services.AddSingleton<SignupTokens>();
        services.AddSingleton<LinkKey>();
        services.AddSingleton<OwnerProof>();
        services.AddSingleton<SignupFlash>();
        services.AddSingleton<AddressRateLimiter>();
        services.AddSingleton<OriginCheck>();
        services.AddScoped<SignupService>();
        // One shared write at a time, and on PostgreSQL up to three more when twelve sign-ups wait, so that a batch's CPU
        // overlaps another's commit only when the queue is long enough for a large batch (see WriteBatcher's remarks, and
        // docs/benchmarks.md for the measurements); SQLite has one writer.
        services.AddSingleton(DatabaseSetup.OnPostgres(builder.Configuration)
            ? new WriteBatcher<NewSignup>(maxInFlight: 1, maxBatch: 64, burstInFlight: 4, burstAt: 12)
            : new WriteBatcher<NewSignup>(maxInFlight: 1, maxBatch: 64));
        services.AddSingleton<NewSignupWriter>();

        var allowed = builder.Configuration.GetSection("Signup:AllowedOrigins").Get<string[]>() ?? [];
        services.AddCors(o => o.AddPolicy(CorsPolicy, p => p
            .WithOrigins([.. allowed.Select(a => a.Trim().TrimEnd('/'))])
            .WithMethods("POST").WithHeaders("Content-Type", "Accept").AllowCredentials()));

        services.AddRateLimiter(o =>
        {
            o.AddPolicy(RateLimitPolicy, context =>
            {
                var perMinute = context.RequestServices.GetRequiredService<IOptions<SignupOptions>>().Value.RateLimit.PerIpPerMinute;
                var ip = context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
                return perMinute <= 0
                    ? RateLimitPartition.GetNoLimiter(ip)
                    : RateLimitPartition.GetFixedWindowLimiter(ip, _ => new FixedWindowRateLimiterOptions
                    {
                        PermitLimit = perMinute, Window = TimeSpan.FromMinutes(1), QueueLimit = 0,
                    });
            });
            o.OnRejected = OnRejectedAsync;
        });
    }

    public static void MapSignup(this IEndpointRouteBuilder app)
    {
        app.MapPost("/signup", PostFormAsync)
            .RequireRateLimiting(RateLimitPolicy).RequireCors(CorsPolicy).DisableAntiforgery()
            .AddEndpointFilter<OriginCheck>().ExcludeFromDescription();

        var api = app.MapGroup("/api/public")
            .RequireRateLimiting(RateLimitPolicy).RequireCors(CorsPolicy).DisableAntiforgery()
            .AddEndpointFilter<OriginCheck>().WithTags("Public");
        api.MapPost("/subscriptions", SubscribeAsync)
            .WithName("Subscribe")
            .WithSummary("Sign an address up to one or more newsletters")
            .WithDescription("Applies the same rules as the sign-up module: double opt-in, no disclosure of who already subscribes, rate limits.")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
    }

    /// <summary>The module's form: answers JSON to signup.js and redirects back to the page otherwise.</summary>
    private static async Task<IResult> PostFormAsync(HttpContext http, SignupService signup, SignupTokens tokens, OwnerProof owner, SignupFlash flash, CancellationToken ct)
    {
        var form = await http.Request.ReadFormAsync(ct);
        var returnUrl = LocalOrRoot(form["returnUrl"]);
        var newsletter = form["newsletter"].ToString();
        var wantsJson = WantsJson(http.Request);

        SignupResult result;
        string? email = form["email"];
        if (!string.IsNullOrEmpty(form["website"]))
        {
            // Honeypot: only bots fill the hidden field. Look like success, store nothing.
            result = new(SignupState.Success);
        }
        else
        {
            if (string.IsNullOrWhiteSpace(email) && tokens.ReadMoreNewsletters(form["t"]) is { } fromToken) email = fromToken;
            result = await signup.SignUpAsync(new SignupRequest(
                email, string.IsNullOrEmpty(newsletter) ? [] : [newsletter],
                http.Request.Headers.Referer.FirstOrDefault() ?? returnUrl,
                http.Connection.RemoteIpAddress?.ToString(),
                EmailAddressRule.TryNormalize(email, out var normalized) && owner.Proves(http.Request, normalized)), ct);
        }

        if (result.Problem == SignupProblem.UnknownNewsletter) result = result with { State = SignupState.Failure }; // the page is misconfigured, not the reader
        var moreToken = result is { State: SignupState.Success, Email: { } ok } ? tokens.ForMoreNewsletters(ok) : null;
        if (wantsJson)
        {
            var body = new SignupFormResponse(StateName(result.State), moreToken is null ? null : PublicLinks.NewslettersPath(moreToken));
            return result.Problem == SignupProblem.Unavailable ? TypedResults.Json(body, statusCode: 503) : TypedResults.Json(body);
        }

        flash.Write(http, new SignupFlashData(result.State, result.State is SignupState.Success or SignupState.Existing ? null : email, moreToken, newsletter));
        return TypedResults.Redirect(WithState(returnUrl, result.State), permanent: false, preserveMethod: false);
    }

    private static async Task<Results<Ok<SubscriptionResponse>, ValidationProblem, ProblemHttpResult>> SubscribeAsync(
        SubscriptionRequest request, HttpContext http, SignupService signup, OwnerProof owner, CancellationToken ct)
    {
        var result = await signup.SignUpAsync(new SignupRequest(
            request.Email, request.Newsletters ?? [], request.Source, http.Connection.RemoteIpAddress?.ToString(),
            EmailAddressRule.TryNormalize(request.Email, out var normalized) && owner.Proves(http.Request, normalized)), ct);

        return result.Problem switch
        {
            SignupProblem.InvalidEmail => TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["email"] = ["Please enter a valid email address"] }),
            SignupProblem.UnknownNewsletter => TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["newsletters"] = ["One or more newsletters do not exist."] }),
            SignupProblem.RateLimited => TypedResults.Problem(title: "Too many sign-ups for this address", statusCode: StatusCodes.Status429TooManyRequests),
            SignupProblem.Unavailable => TypedResults.Problem(title: "Sign-up is unavailable, please try again later", statusCode: StatusCodes.Status503ServiceUnavailable),
            _ => TypedResults.Ok(new SubscriptionResponse(StateName(result.State))),
        };
    }

    private static async ValueTask OnRejectedAsync(OnRejectedContext context, CancellationToken ct)
    {
        var http = context.HttpContext;
        if (context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter))
            http.Response.Headers.RetryAfter = ((int)retryAfter.TotalSeconds).ToString();

        if (http.Request.Path.StartsWithSegments("/signup") && !WantsJson(http.Request) && http.Request.HasFormContentType)
        {
            var form = await http.Request.ReadFormAsync(ct);
            http.RequestServices.GetRequiredService<SignupFlash>().Write(http, new SignupFlashData(SignupState.Failure, form["email"], null, form["newsletter"]));
            http.Response.Redirect(WithState(LocalOrRoot(form["returnUrl"]), SignupState.Failure));
            return;
        }
        http.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        if (http.Request.Path.StartsWithSegments("/preferences")) return; // a reader's page: the site's error page says it
        await http.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = http,
            ProblemDetails = new ProblemDetails { Status = 429, Title = "Too many requests", Detail = "Please try again later." },
        });
    }

    private static bool WantsJson(HttpRequest request) => request.Headers.Accept.ToString().Contains("application/json", StringComparison.OrdinalIgnoreCase);

    internal static string StateName(SignupState state) => state switch
    {
        SignupState.Success => "success",
        SignupState.Existing => "existing",
        SignupState.Invalid => "invalid",
        _ => "failure",
    };

    private static string WithState(string url, SignupState state)
    {
        var hash = url.IndexOf('#');
        if (hash >= 0) url = url[..hash];
        return $"{url}{(url.Contains('?') ? '&' : '?')}signup={StateName(state)}#signup";
    }

    /// <summary>Only local paths: an open redirect would let anyone bounce readers through our domain.</summary>
    private static string LocalOrRoot(string? url) =>
        !string.IsNullOrEmpty(url) && url.StartsWith('/') && !url.StartsWith("//") && !url.StartsWith("/\\") && url.Length < 2000 ? url : "/";
}

/// <summary>Body of <c>POST /api/public/subscriptions</c>.</summary>
public sealed record SubscriptionRequest(
    [property: JsonPropertyName("email")] string? Email,
    [property: JsonPropertyName("newsletters")] string[]? Newsletters,
    [property: JsonPropertyName("source")] string? Source);

/// <summary>
/// <c>state</c> is <c>success</c> (a confirmation email is on its way, or the address is already subscribed and
/// the caller has not proven it owns it) or <c>existing</c> (already subscribed; told only to proven owners).
/// </summary>
public sealed record SubscriptionResponse([property: JsonPropertyName("state")] string State);

/// <summary>What signup.js receives: the state to show and, after success, the link to more newsletters.</summary>
public sealed record SignupFormResponse(
    [property: JsonPropertyName("state")] string State,
    [property: JsonPropertyName("moreUrl")] string? MoreUrl);
