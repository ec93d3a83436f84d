using Microsoft.AspNetCore.OutputCaching;

namespace Broadsheet.Articles;

/// <summary>
/// Output caching for public article pages: the rendered page is reused until an article changes. A request that
/// carries a sign-up result (<c>?signup=</c>) is personal and bypasses the cache.
/// </summary>
public sealed class ArticleCache : IOutputCachePolicy
{
    public const string PolicyName = "articles";
    public const string Tag = "articles";

    ValueTask IOutputCachePolicy.CacheRequestAsync(OutputCacheContext context, CancellationToken ct)
    {
        var request = context.HttpContext.Request;
        var personal = request.Query.ContainsKey("signup") || request.Query.ContainsKey("t") || request.Query.ContainsKey("o");
        context.EnableOutputCaching = true;
        var cacheable = !personal && (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method));
        context.AllowCacheLookup = context.AllowCacheStorage = cacheable;
        context.AllowLocking = true;
        context.ResponseExpirationTimeSpan = TimeSpan.FromMinutes(10);
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
