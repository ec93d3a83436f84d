using Broadsheet.Signup;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Broadsheet.Subscribers;

/// <summary>
/// RFC 8058 one-click unsubscribe: the target of <c>List-Unsubscribe</c> with <c>List-Unsubscribe-Post:
/// List-Unsubscribe=One-Click</c>. Mail providers POST here without cookies, as multipart/form-data or
/// x-www-form-urlencoded; we answer 200 and never redirect. The subscription is named by an opaque signed token.
/// </summary>
public static class OneClickUnsubscribe
{
    public const string Path = "/unsubscribe/one-click";

    public static string Link(string token) => $"{Path}?t={Uri.EscapeDataString(token)}";

    public static void MapOneClickUnsubscribe(this IEndpointRouteBuilder app) =>
        app.MapPost(Path, HandleAsync).DisableAntiforgery().WithTags("Public")
            .WithSummary("RFC 8058 one-click unsubscribe (body: List-Unsubscribe=One-Click)");

    private static async Task<Results<Ok<string>, BadRequest<string>, NotFound<string>>> HandleAsync(
        HttpRequest request, string? t, SignupTokens tokens, Unsubscribing unsubscribing, CancellationToken ct)
    {
        if (!request.HasFormContentType) return TypedResults.BadRequest("Send List-Unsubscribe=One-Click as a form.");
        var form = await request.ReadFormAsync(ct);
        if (form["List-Unsubscribe"] != "One-Click") return TypedResults.BadRequest("Expected List-Unsubscribe=One-Click.");
        if (tokens.ReadUnsubscribe(t) is not long id || !await unsubscribing.OneAsync(id, ct)) return TypedResults.NotFound("Unknown subscription.");
        return TypedResults.Ok("Unsubscribed.");
    }
}
