using System.Text.Json;
using KnowledgeQa.Agents.Classification;
using KnowledgeQa.Plugins.Requests;
using KnowledgeQa.Retrieval;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.Extensions.Logging;

namespace KnowledgeQa.Server;

/// <summary>Bad input to an API call, answered with <see cref="StatusCode"/> and the message.</summary>
public sealed class ApiInputException(string message, int statusCode = StatusCodes.Status400BadRequest) : Exception(message)
{
    public int StatusCode { get; } = statusCode;
}

/// <summary>The error body of every failed request: <c>{"error": "..."}</c>.</summary>
public sealed record ApiError(string Error);

/// <summary>
/// Turns exceptions of KnowledgeQa's endpoints into one JSON error shape: bad input and malformed
/// JSON are 4xx with a message the caller can act on; anything unforeseen is a 500 that tells
/// nothing internal. Other endpoints of a host app keep the app's own error handling.
/// </summary>
public sealed class ApiErrorMiddleware(RequestDelegate next, ILogger<ApiErrorMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        if (KnowledgeQaEndpoint.Of(context) is null)
        {
            await next(context);
            return;
        }
        try
        {
            await next(context);
        }
        catch (Exception e) when (!context.Response.HasStarted && Classify(e, BodyType(context)) is { } error)
        {
            if (error.Status >= 500)
                logger.LogError(e, "request {Method} {Path} failed", context.Request.Method, context.Request.Path);
            await WriteAsync(context, error.Status, error.Message, e);
        }
    }

    public static Task WriteAsync(HttpContext context, int status, string message, Exception? cause = null)
    {
        context.Response.Clear();
        context.Response.StatusCode = status;
        if (cause is not null)
            StoreErrorResponses.AddRetryAfter(context.Response, cause);
        return context.Response.WriteAsJsonAsync(new ApiError(message), ServerJson.Options, context.RequestAborted);
    }

    private static (int Status, string Message)? Classify(Exception e, Type? bodyType) => e switch
    {
        OperationCanceledException => null, // the client went away: nothing to answer
        ApiInputException input => (input.StatusCode, input.Message),
        BadHttpRequestException bad => (bad.StatusCode, Describe(bad, bodyType)),
        JsonException json => (StatusCodes.Status400BadRequest, JsonBodyErrors.Describe(json, bodyType)),
        InvalidRequestException request => (StatusCodes.Status400BadRequest, request.Message),
        TenantAccessException tenant => (StatusCodes.Status403Forbidden, tenant.Message),
        InvalidOptionException option => (StatusCodes.Status400BadRequest, option.Message),
        ClassificationException classification => (StatusCodes.Status400BadRequest, classification.Message),
        KnowledgeStoreException store when StoreErrorResponses.StatusOf(store) is { } status => (status, store.Message),
        KnowledgeQaException known => (StatusCodes.Status422UnprocessableEntity, known.Message),
        { InnerException: KnowledgeQaException inner } => (StatusCodes.Status422UnprocessableEntity, inner.Message),
        _ => (StatusCodes.Status500InternalServerError, "internal error; the server log has the details"),
    };

    /// <summary>The type the endpoint reads its JSON body into, to name the field a bad body got wrong.</summary>
    private static Type? BodyType(HttpContext context) =>
        context.GetEndpoint()?.Metadata.GetMetadata<IAcceptsMetadata>()?.RequestType;

    // The framework's own messages name parameters and .NET types ("Failed to read parameter
    // \"SearchRequest request\""), so each kind gets a message of ours instead.
    private static string Describe(BadHttpRequestException bad, Type? bodyType) => bad switch
    {
        { InnerException: JsonException json } => JsonBodyErrors.Describe(json, bodyType),
        { StatusCode: StatusCodes.Status413PayloadTooLarge } => "request body too large for this server (see Server:MaxUploadBytes / MaxJsonBytes)",
        { StatusCode: StatusCodes.Status415UnsupportedMediaType } => "send the request body as JSON with 'Content-Type: application/json'.",
        _ when bodyType is not null => "the request body must be a JSON object; GET /openapi/v1.json describes each endpoint's body.",
        _ => "bad request; GET /openapi/v1.json describes the endpoints.",
    };
}
