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

    private static string TypeOf(int status) => status switch
    {
        StatusCodes.Status401Unauthorized => "authentication_error",
        StatusCodes.Status403Forbidden => "permission_error",
        StatusCodes.Status404NotFound => "not_found_error",
        StatusCodes.Status429TooManyRequests => "rate_limit_error",
        >= 500 => "server_error",
        _ => "invalid_request_error",
    };

    private static string? CodeOf(int status) => status switch
    {
        StatusCodes.Status401Unauthorized => "invalid_api_key",
        StatusCodes.Status413PayloadTooLarge => "request_too_large",
        _ => null,
    };
}

/// <param name="Message">What went wrong and what to do, for a person.</param>
/// <param name="Type">invalid_request_error, authentication_error, permission_error, not_found_error, rate_limit_error or server_error.</param>
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
