using Microsoft.Extensions.Options;

namespace Broadsheet.Site;

/// <summary>Builds absolute links for emails and API responses from <c>Site:BaseUrl</c>, or from the current request when it is unset.</summary>
public sealed class PublicLinks(IOptions<SiteOptions> site, IHttpContextAccessor http)
{
    public string BaseUrl
    {
        get
        {
            var configured = site.Value.BaseUrl.TrimEnd('/');
            if (configured.Length > 0) return configured;
            var request = http.HttpContext?.Request;
            return request is null ? "http://localhost:5000" : $"{request.Scheme}://{request.Host}{request.PathBase}";
        }
    }

    public string Absolute(string pathAndQuery) => BaseUrl + (pathAndQuery.StartsWith('/') ? pathAndQuery : "/" + pathAndQuery);

    public static string ArticlePath(string slug) => $"/articles/{Uri.EscapeDataString(slug)}";
    public static string ConfirmPath(string token) => $"/confirm?token={Uri.EscapeDataString(token)}";
    public static string UnsubscribePath(string unsubscribeToken) => $"/unsubscribe?t={Uri.EscapeDataString(unsubscribeToken)}";
    public static string PreferencesPath(string ownerToken) => $"/preferences?o={Uri.EscapeDataString(ownerToken)}";
    public static string AddressChangePath(string token) => $"/preferences/address?t={Uri.EscapeDataString(token)}";
    public static string NewslettersOwnerPath(string ownerToken) => $"/newsletters?o={Uri.EscapeDataString(ownerToken)}";
    public static string EditionPath(string newsletterSlug, long editionId) => $"/newsletters/{Uri.EscapeDataString(newsletterSlug)}/editions/{editionId}";
    public static string ArchivePath(string newsletterSlug) => $"/newsletters/{Uri.EscapeDataString(newsletterSlug)}/archive";
    public static string NewslettersPath(string? token = null) => token is null ? "/newsletters" : $"/newsletters?t={Uri.EscapeDataString(token)}";
}
