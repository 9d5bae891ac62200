using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Template;

namespace KnowledgeQa.Server;

/// <summary>
/// What a request under /v1 that reached no endpoint gets: 405 when the path exists for other
/// methods (with Allow), 415 when the method fits but the body's content type does not, 404
/// otherwise. A catch-all fallback would otherwise answer all three with "no such endpoint".
/// </summary>
public static class ApiFallback
{
    public static IResult Handle(HttpContext context, EndpointDataSource endpoints)
    {
        var path = context.Request.Path;
        var sameRoute = endpoints.Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Order != int.MaxValue && e.Metadata.GetMetadata<KnowledgeQaEndpoint>() is not null && Matches(e, path))
            .ToList();
        if (sameRoute.Count == 0)
            return Error(StatusCodes.Status404NotFound, "no such endpoint; GET /openapi/v1.json lists them.");

        var method = context.Request.Method;
        var methods = sameRoute.SelectMany(e => e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? []).Distinct().ToList();
        if (!methods.Contains(method, StringComparer.OrdinalIgnoreCase))
        {
            context.Response.Headers.Allow = string.Join(", ", methods);
            return Error(StatusCodes.Status405MethodNotAllowed, $"{path} takes {string.Join(" or ", methods)}, not {method}.");
        }
        var accepted = sameRoute.SelectMany(e => e.Metadata.GetMetadata<IAcceptsMetadata>()?.ContentTypes ?? []).Distinct().ToList();
        return Error(StatusCodes.Status415UnsupportedMediaType, accepted.Count > 0
            ? $"{method} {path} takes a body of type {string.Join(" or ", accepted)} (Content-Type header), not '{context.Request.ContentType}'."
            : $"{method} {path} does not take this request; GET /openapi/v1.json describes it.");
    }

    private static bool Matches(RouteEndpoint endpoint, PathString path) =>
        endpoint.RoutePattern.RawText is { } template
        && new TemplateMatcher(TemplateParser.Parse(template), new RouteValueDictionary()).TryMatch(path, new RouteValueDictionary());

    private static IResult Error(int status, string message) => Results.Json(new ApiError(message), ServerJson.Options, statusCode: status);
}
