using Microsoft.AspNetCore.Http;

namespace KnowledgeQa.Server.OpenAi;

/// <summary>
/// Endpoint metadata of the OpenAI-compatible endpoints: their errors take OpenAI's shape,
/// <c>{"error": {"message", "type", "param", "code"}}</c>, which OpenAI SDKs and chat front ends
/// parse (the rest of the API keeps <c>{"error": "..."}</c>). The API key, body-size and error
/// middleware write through <see cref="ApiErrorMiddleware.WriteAsync"/>, which asks <see cref="Applies"/>.
/// </summary>
public sealed class OpenAiErrorShape
{
    public static readonly OpenAiErrorShape Instance = new();

    private OpenAiErrorShape()
    {
    }

    public static bool Applies(HttpContext context) =>
        context.GetEndpoint()?.Metadata.GetMetadata<OpenAiErrorShape>() is not null;
}

/// <summary>OpenAI's error body.</summary>
public sealed record OpenAiErrorBody(OpenAiErrorDetail Error)
{
    /// <summary>The body for a status and message, typed as OpenAI types its errors.</summary>
    public static OpenAiErrorBody For(int status, string message, string? param = null, string? code = null) =>
        new(new OpenAiErrorDetail(message, TypeOf(status), param, code ?? CodeOf(status)));

    // As OpenAI answers: every client error is an invalid_request_error (the code tells them apart),
    // server faults are server_error. OpenAI SDKs pick their exception type by the status code.
    private static string TypeOf(int status) => status >= 500 ? "server_error" : "invalid_request_error";

    private static string? CodeOf(int status) => status switch
    {
        StatusCodes.Status401Unauthorized => "invalid_api_key",
        StatusCodes.Status413PayloadTooLarge => "request_too_large",
        _ => null,
    };
}

/// <param name="Message">What went wrong and what to do, for a person.</param>
/// <param name="Type">invalid_request_error for a request the client can fix (any 4xx), server_error otherwise.</param>
/// <param name="Param">The request field at fault, such as "messages" or "temperature"; null when none is.</param>
/// <param name="Code">A machine-readable reason such as "model_not_found" or "invalid_api_key"; null when there is none.</param>
public sealed record OpenAiErrorDetail(string Message, string Type, string? Param, string? Code);

/// <summary>A chat-completion request OpenAI would refuse too: answered with status 400 (404 for an unknown model) naming the field.</summary>
public sealed class OpenAiRequestException(string message, string? param, string? code = null, int statusCode = StatusCodes.Status400BadRequest)
    : Exception(message)
{
    public string? Param { get; } = param;
    public string? Code { get; } = code;
    public int StatusCode { get; } = statusCode;

    public OpenAiErrorBody Body => OpenAiErrorBody.For(StatusCode, Message, Param, Code);
}
