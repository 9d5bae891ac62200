using System.Security.Cryptography;
using System.Text;
using KnowledgeQa.Plugins.Requests;
using Microsoft.AspNetCore.Http;

namespace KnowledgeQa.Server;

/// <summary>
/// Requires <c>Authorization: Bearer KEY</c> on KnowledgeQa's endpoints (all but /healthz) when a key
/// is configured, and confines a tenant key's request to its tenant (<see cref="CallerTenant"/>).
/// Both sides are hashed before the constant-time compare, and every configured key is compared,
/// so neither content, length nor which key matched leaks through timing.
/// </summary>
public sealed class ApiKeyMiddleware(RequestDelegate next, ServerSettings settings)
{
    private readonly IReadOnlyList<(byte[] Hash, string? Tenant)> _keys =
    [
        .. settings.ApiKey is { Length: > 0 } admin ? [(Hash(admin), (string?)null)] : Array.Empty<(byte[], string?)>(),
        .. settings.Keys.Select(k => (Hash(k.Key), (string?)k.Tenant.Trim())),
    ];

    public async Task InvokeAsync(HttpContext context)
    {
        if (_keys.Count == 0 || KnowledgeQaEndpoint.Of(context) is not { RequiresKey: true })
        {
            await next(context);
            return;
        }
        if (!TryAuthorize(context.Request, out var tenant))
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
            await ApiErrorMiddleware.WriteAsync(context, StatusCodes.Status401Unauthorized,
                "missing or wrong API key: send the header 'Authorization: Bearer KEY'.");
            return;
        }
        if (tenant is null)
        {
            await next(context);
            return;
        }
        using (CallerTenant.Enter(tenant))
            await next(context);
    }

    private bool TryAuthorize(HttpRequest request, out string? tenant)
    {
        tenant = null;
        var header = request.Headers.Authorization.ToString();
        const string scheme = "Bearer ";
        if (!header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
            return false;
        var presented = Hash(header[scheme.Length..].Trim());
        var matched = false;
        foreach (var (hash, keyTenant) in _keys)
        {
            if (CryptographicOperations.FixedTimeEquals(presented, hash) && !matched)
            {
                matched = true;
                tenant = keyTenant;
            }
        }
        return matched;
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
