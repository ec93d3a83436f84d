using Broadsheet.Site;
using Microsoft.Extensions.Options;

namespace Broadsheet.Signup;

/// <summary>
/// Accepts a browser submission only from our own pages or from <c>Signup:AllowedOrigins</c>. Browsers always send
/// Origin (or at least Referer) on cross-site POSTs; clients without either are apps, not forged forms.
/// </summary>
public sealed class OriginCheck(IOptions<SignupOptions> signup, IOptions<SiteOptions> site) : IEndpointFilter
{
    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next) =>
        IsAllowed(context.HttpContext.Request)
            ? next(context)
            : ValueTask.FromResult<object?>(TypedResults.Problem(
                title: "Cross-origin submission refused",
                detail: "This origin is not listed in Signup:AllowedOrigins.",
                statusCode: StatusCodes.Status403Forbidden));

    public bool IsAllowed(HttpRequest request)
    {
        var origin = OriginOf(request.Headers.Origin.ToString()) ?? OriginOf(request.Headers.Referer.ToString());
        if (origin is null) return true;
        if (Same(origin, $"{request.Scheme}://{request.Host}")) return true;
        if (OriginOf(site.Value.BaseUrl) is { } configured && Same(origin, configured)) return true;
        return signup.Value.AllowedOrigins.Any(o => Same(origin, o.Trim().TrimEnd('/')));
    }

    private static bool Same(string a, string b) => string.Equals(a, b, StringComparison.OrdinalIgnoreCase);

    private static string? OriginOf(string value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
            ? uri.GetLeftPart(UriPartial.Authority)
            : value == "null" ? "null" : null;
}
