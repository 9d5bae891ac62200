using System.Text.Json;
using KnowledgeQa.Agents.Classification;
using KnowledgeQa.Retrieval;
using Microsoft.AspNetCore.Http;
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
        catch (Exception e) when (!context.Response.HasStarted && Classify(e) is { } error)
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

    private static (int Status, string Message)? Classify(Exception e) => e switch
    {
        OperationCanceledException => null, // the client went away: nothing to answer
        ApiInputException input => (input.StatusCode, input.Message),
        BadHttpRequestException bad => (bad.StatusCode, Describe(bad)),
        JsonException json => (StatusCodes.Status400BadRequest, $"malformed JSON: {json.Message}"),
        InvalidOptionException option => (StatusCodes.Status400BadRequest, option.Message),
        ClassificationException classification => (StatusCodes.Status400BadRequest, classification.Message),
        KnowledgeStoreException store when StoreErrorResponses.StatusOf(store) is { } status => (status, store.Message),
        KnowledgeQaException known => (StatusCodes.Status422UnprocessableEntity, known.Message),
        { InnerException: KnowledgeQaException inner } => (StatusCodes.Status422UnprocessableEntity, inner.Message),
        _ => (StatusCodes.Status500InternalServerError, "internal error; the server log has the details"),
    };

    private static string Describe(BadHttpRequestException bad) => bad.InnerException is JsonException json
        ? $"malformed JSON body: {json.Message}"
        : bad.StatusCode == StatusCodes.Status413PayloadTooLarge
            ? "request body too large for this server (see Server:MaxUploadBytes / MaxJsonBytes)"
            : bad.Message;
}
