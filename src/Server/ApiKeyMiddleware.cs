using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace KnowledgeQa.Server;

/// <summary>
/// Requires <c>Authorization: Bearer KEY</c> on KnowledgeQa's endpoints (all but /healthz) when a key is configured.
/// Both sides are hashed before the constant-time compare, so neither content nor length leaks
/// through timing.
/// </summary>
public sealed class ApiKeyMiddleware(RequestDelegate next, ServerSettings settings)
{
    private readonly byte[]? _keyHash = settings.ApiKey is { Length: > 0 } key ? Hash(key) : null;

    public Task InvokeAsync(HttpContext context)
    {
        if (_keyHash is null || KnowledgeQaEndpoint.Of(context) is not { RequiresKey: true } || IsAuthorized(context.Request))
            return next(context);
        context.Response.Headers.WWWAuthenticate = "Bearer";
        return ApiErrorMiddleware.WriteAsync(context, StatusCodes.Status401Unauthorized,
            "missing or wrong API key: send the header 'Authorization: Bearer KEY'.");
    }

    private bool IsAuthorized(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        const string scheme = "Bearer ";
        if (!header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
            return false;
        return CryptographicOperations.FixedTimeEquals(Hash(header[scheme.Length..].Trim()), _keyHash);
    }

    private static byte[] Hash(string value) => SHA256.HashData(Encoding.UTF8.GetBytes(value));
}

/// <summary>Small bodies on KnowledgeQa's endpoints but the upload, so a huge JSON body is refused early.</summary>
public sealed class RequestSizeMiddleware(RequestDelegate next, ServerSettings settings)
{
    public Task InvokeAsync(HttpContext context)
    {
        if (KnowledgeQaEndpoint.Of(context) is null)
            return next(context);
        var limit = context.Request.Path.StartsWithSegments("/v1/documents") ? settings.MaxUploadBytes : settings.MaxJsonBytes;
        if (context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
            feature.MaxRequestBodySize = limit;
        if (context.Request.ContentLength > limit)
            return ApiErrorMiddleware.WriteAsync(context, StatusCodes.Status413PayloadTooLarge,
                $"request body is {context.Request.ContentLength} bytes; the limit here is {limit} bytes.");
        return next(context);
    }
}
