using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace KnowledgeQa.Server.OpenAi;

/// <summary>OpenAI's JSON: snake_case names, null fields written where OpenAI writes them (finish_reason, logprobs).</summary>
public static class OpenAiJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        TypeInfoResolver = new DefaultJsonTypeInfoResolver(),
    };
}

/// <summary>A chat.completion object.</summary>
/// <param name="KnowledgeBase">The answer as POST /v1/ask returns it (question asked, mode, grounded, refused, citations with their text): KnowledgeQa's extra field.</param>
public sealed record ChatCompletion(
    string Id,
    long Created,
    string Model,
    IReadOnlyList<ChatCompletionChoice> Choices,
    ChatCompletionUsage Usage,
    JsonElement KnowledgeBase)
{
    public string Object => "chat.completion";
    public string? SystemFingerprint => null;
}

public sealed record ChatCompletionChoice(int Index, AssistantMessage Message, string FinishReason)
{
    public object? Logprobs => null;
}

public sealed record AssistantMessage(string Content)
{
    public string Role => "assistant";
    public string? Refusal => null;
}

public sealed record ChatCompletionUsage(long PromptTokens, long CompletionTokens)
{
    public long TotalTokens => PromptTokens + CompletionTokens;
}

/// <summary>A chat.completion.chunk object: one server-sent event of a streamed completion.</summary>
public sealed record ChatCompletionChunk(string Id, long Created, string Model, IReadOnlyList<ChatCompletionChunkChoice> Choices)
{
    public string Object => "chat.completion.chunk";
    public string? SystemFingerprint => null;

    /// <summary>Only on the last chunk, with stream_options.include_usage (its choices are then empty).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public ChatCompletionUsage? Usage { get; init; }

    /// <summary>Only on the chunk that carries the finish reason: the answer as POST /v1/ask returns it.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public JsonElement? KnowledgeBase { get; init; }
}

public sealed record ChatCompletionChunkChoice(int Index, ChatCompletionDelta Delta, string? FinishReason)
{
    public object? Logprobs => null;
}

public sealed record ChatCompletionDelta
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Role { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Content { get; init; }
}

/// <summary>GET /v1/models.</summary>
public sealed record ModelList(IReadOnlyList<ModelInfo> Data)
{
    public string Object => "list";
}

public sealed record ModelInfo(string Id, long Created, string OwnedBy)
{
    public string Object => "model";
}
