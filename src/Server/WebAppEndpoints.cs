using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Net.Http.Headers;

namespace KnowledgeQa.Server;

/// <summary>
/// The web app: <c>GET /</c> is its page and <c>GET /_app/...</c> its scripts and styles, all
/// static and public (the page asks for the API key itself and sends it as the bearer token;
/// nothing secret is ever written into what is served here).
/// </summary>
public static class WebAppEndpoints
{
    /// <summary>Where the app's files are served from; index.html refers to them relatively.</summary>
    public const string AssetPrefix = "/_app";

    // A host app's own routes at the same paths win: the app's endpoints match last.
    private const int RouteOrder = 1000;

    // The page builds every view from text nodes: Trusted Types make any HTML string sink (innerHTML,
    // outerHTML, insertAdjacentHTML, document.write) throw, so document text can never become markup.
    private const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'; " +
        "require-trusted-types-for 'script'; trusted-types 'none'";

    public static void MapWebApp(IEndpointRouteBuilder app)
    {
        var assets = WebAppAssets.Embedded;
        app.MapGet("/", (HttpContext context) => Serve(context, assets.Find("index.html")))
            .WithOrder(RouteOrder).WithMetadata(KnowledgeQaEndpoint.Public).ExcludeFromDescription();
        app.MapGet(AssetPrefix + "/{**path}", (string path, HttpContext context) => Serve(context, assets.Find(path)))
            .WithOrder(RouteOrder).WithMetadata(KnowledgeQaEndpoint.Public).ExcludeFromDescription();
    }

    private static IResult Serve(HttpContext context, WebAppAsset? asset)
    {
        if (asset is null)
            return Results.Json(new ApiError("no such file in the web app"), ServerJson.Options, statusCode: StatusCodes.Status404NotFound);

        var headers = context.Response.Headers;
        headers.ETag = asset.ETag;
        // Revalidated on every load (a 304 on loopback costs a millisecond), so an upgraded kqa never serves stale scripts.
        headers.CacheControl = "no-cache";
        headers.Vary = HeaderNames.AcceptEncoding;
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        if (context.Request.Headers.IfNoneMatch.Contains(asset.ETag))
            return Results.StatusCode(StatusCodes.Status304NotModified);

        if (AcceptsGzip(context.Request))
        {
            headers.ContentEncoding = "gzip";
            return Results.Bytes(asset.Gzip, asset.ContentType);
        }
        return Results.Bytes(asset.Content, asset.ContentType);
    }

    private static bool AcceptsGzip(HttpRequest request) =>
        request.Headers.AcceptEncoding.Any(value => value is not null && value.Contains("gzip", StringComparison.OrdinalIgnoreCase));
}
