using Microsoft.AspNetCore.OutputCaching;

namespace Broadsheet.Articles;

/// <summary>
/// Output caching for the pages that are the same for every reader: the front page and article pages, reused until an
/// article changes. A base policy that picks them by path, because the cache runs before routing (see
/// <c>BroadsheetApp</c>) so that a cached page skips the rest of the pipeline. A request that carries a sign-up result
/// (<c>?signup=</c>) or a link's token is personal and bypasses the cache.
/// </summary>
public sealed class ArticleCache : IOutputCachePolicy
{
    public const string Tag = "articles";

    /// <summary>How long a cached page is served before it is rendered again.</summary>
    public static readonly TimeSpan Expiry = TimeSpan.FromMinutes(1);

    /// <summary>The front page and <c>/articles/{slug}</c>: the pages this policy caches.</summary>
    public static bool Covers(PathString path) =>
        path == "/" || (path.StartsWithSegments("/articles", out var rest) && rest.Value is { Length: > 1 } slug && slug.IndexOf('/', 1) < 0);

    ValueTask IOutputCachePolicy.CacheRequestAsync(OutputCacheContext context, CancellationToken ct)
    {
        var request = context.HttpContext.Request;
        if (!Covers(request.Path)) return ValueTask.CompletedTask;
        var personal = request.Query.ContainsKey("signup") || request.Query.ContainsKey("t") || request.Query.ContainsKey("o");
        context.EnableOutputCaching = true;
        var cacheable = !personal && (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method));
        context.AllowCacheLookup = context.AllowCacheStorage = cacheable;
        context.AllowLocking = true;
        // Publishing evicts the pages only on the node that published; on several nodes the others catch up when
        // their copies expire, so within a minute. A busy page is still rendered once a minute per node.
        context.ResponseExpirationTimeSpan = Expiry;
        context.Tags.Add(Tag);
        context.CacheVaryByRules.QueryKeys = "*";
        return ValueTask.CompletedTask;
    }

    ValueTask IOutputCachePolicy.ServeFromCacheAsync(OutputCacheContext context, CancellationToken ct) => ValueTask.CompletedTask;

    ValueTask IOutputCachePolicy.ServeResponseAsync(OutputCacheContext context, CancellationToken ct)
    {
        var response = context.HttpContext.Response;
        if (response.StatusCode != StatusCodes.Status200OK || response.Headers.SetCookie.Count > 0) context.AllowCacheStorage = false;
        return ValueTask.CompletedTask;
    }
}
