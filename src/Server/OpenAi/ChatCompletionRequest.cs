using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace KnowledgeQa.Server.OpenAi;

/// <summary>One message of the conversation as a client sent it: its role and its text (text parts joined).</summary>
public sealed record ChatTurnMessage(string Role, string Text);

/// <summary>
/// A POST /v1/chat/completions body, read leniently where OpenAI clients differ (content as a
/// string or as parts, max_tokens or max_completion_tokens, unknown fields) and strictly where a
/// wrong value would be silently misread (a temperature that is not a number, n other than 1).
/// </summary>
public sealed record ChatCompletionRequest
{
    public const int MaxMessages = 500;
    public const int MaxStopSequences = 4;

    public required string Model { get; init; }
    public required IReadOnlyList<ChatTurnMessage> Messages { get; init; }
    public bool Stream { get; init; }
    /// <summary>stream_options.include_usage: one more chunk with the usage before [DONE].</summary>
    public bool IncludeUsage { get; init; }
    public float? Temperature { get; init; }
    public float? TopP { get; init; }
    /// <summary>max_completion_tokens, or the older max_tokens.</summary>
    public int? MaxTokens { get; init; }
    public IReadOnlyList<string> Stop { get; init; } = [];
    public long? Seed { get; init; }
    public float? PresencePenalty { get; init; }
    public float? FrequencyPenalty { get; init; }

    public static async Task<ChatCompletionRequest> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        JsonDocument document;
        try
        {
            document = await JsonDocument.ParseAsync(request.Body, default, cancellationToken);
        }
        catch (JsonException e)
        {
            throw new OpenAiRequestException($"the body is not valid JSON ({e.Message}); send a chat completion request object.", null);
        }

        using (document)
            return Parse(document.RootElement);
    }

    public static ChatCompletionRequest Parse(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
            throw new OpenAiRequestException("the body must be a JSON object with 'model' and 'messages'.", null);

        var model = String(root, "model") ?? KnowledgeBaseModels.Default;
        if (!KnowledgeBaseModels.IsKnown(model))
        {
            throw new OpenAiRequestException(
                $"The model '{model}' does not exist here; GET /v1/models lists this server's models ({string.Join(", ", KnowledgeBaseModels.All)}).",
                "model", "model_not_found", StatusCodes.Status404NotFound);
        }

        if (Integer(root, "n") is { } n && n != 1)
            throw new OpenAiRequestException($"'n' is {n}; this server makes one choice per request (n = 1).", "n");

        var streamOptions = Property(root, "stream_options");
        return new ChatCompletionRequest
        {
            Model = model,
            Messages = ReadMessages(root),
            Stream = Boolean(root, "stream") ?? false,
            IncludeUsage = streamOptions is { ValueKind: JsonValueKind.Object } options && (Boolean(options, "include_usage", "stream_options.include_usage") ?? false),
            Temperature = Number(root, "temperature", 0, 2),
            TopP = Number(root, "top_p", 0, 1),
            MaxTokens = ReadMaxTokens(root),
            Stop = StopSequences(root),
            Seed = Integer(root, "seed"),
            PresencePenalty = Number(root, "presence_penalty", -2, 2),
            FrequencyPenalty = Number(root, "frequency_penalty", -2, 2),
        };
    }

    private static IReadOnlyList<ChatTurnMessage> ReadMessages(JsonElement root)
    {
        if (Property(root, "messages") is not { ValueKind: JsonValueKind.Array } array)
            throw new OpenAiRequestException("'messages' is required: an array of {\"role\", \"content\"} objects ending with the user's question.", "messages");
        var count = array.GetArrayLength();
        if (count == 0)
            throw new OpenAiRequestException("'messages' is empty; send at least the user's question.", "messages");
        if (count > MaxMessages)
            throw new OpenAiRequestException($"'messages' has {count} messages; the limit is {MaxMessages}.", "messages");

        var messages = new List<ChatTurnMessage>(count);
        var index = 0;
        foreach (var item in array.EnumerateArray())
        {
            var at = $"messages[{index++}]";
            if (item.ValueKind != JsonValueKind.Object)
                throw new OpenAiRequestException($"'{at}' must be an object with 'role' and 'content'.", at);
            var role = String(item, "role", $"{at}.role")
                ?? throw new OpenAiRequestException($"'{at}.role' is required (system, developer, user, assistant or tool).", $"{at}.role");
            if (role is not ("system" or "developer" or "user" or "assistant" or "tool" or "function"))
                throw new OpenAiRequestException($"'{at}.role' is '{role}'; use system, developer, user, assistant or tool.", $"{at}.role");
            messages.Add(new ChatTurnMessage(role, Text(item, $"{at}.content")));
        }
        return messages;
    }

    /// <summary>A message's text: the content string, or its text parts joined (image, audio and file parts carry no text here).</summary>
    private static string Text(JsonElement message, string at)
    {
        if (Property(message, "content") is not { } content)
            return "";
        switch (content.ValueKind)
        {
            case JsonValueKind.String:
                return content.GetString()!;
            case JsonValueKind.Null:
                return "";
            case JsonValueKind.Array:
                var text = new StringBuilder();
                foreach (var part in content.EnumerateArray())
                {
                    if (part.ValueKind == JsonValueKind.Object && Property(part, "text") is { ValueKind: JsonValueKind.String } piece
                        && (Property(part, "type") is not { } type || type.ValueKind != JsonValueKind.String || type.GetString() == "text"))
                    {
                        if (text.Length > 0)
                            text.Append('\n');
                        text.Append(piece.GetString());
                    }
                }
                return text.ToString();
            default:
                throw new OpenAiRequestException($"'{at}' must be a string or an array of content parts.", at);
        }
    }

    private static int? ReadMaxTokens(JsonElement root)
    {
        var (name, value) = Integer(root, "max_completion_tokens") is { } completion ? ("max_completion_tokens", completion) : ("max_tokens", Integer(root, "max_tokens"));
        if (value is < 1)
            throw new OpenAiRequestException($"'{name}' is {value}; it must be at least 1.", name);
        return value is null ? null : (int)Math.Min(value.Value, int.MaxValue);
    }

    private static IReadOnlyList<string> StopSequences(JsonElement root)
    {
        switch (Property(root, "stop"))
        {
            case null or { ValueKind: JsonValueKind.Null }:
                return [];
            case { ValueKind: JsonValueKind.String } one:
                return one.GetString() is { Length: > 0 } single ? [single] : [];
            case { ValueKind: JsonValueKind.Array } many:
                var stops = new List<string>();
                foreach (var item in many.EnumerateArray())
                {
                    if (item.ValueKind != JsonValueKind.String)
                        throw new OpenAiRequestException("'stop' must be a string or an array of strings.", "stop");
                    if (item.GetString() is { Length: > 0 } sequence)
                        stops.Add(sequence);
                }
                if (stops.Count > MaxStopSequences)
                    throw new OpenAiRequestException($"'stop' has {stops.Count} sequences; the limit is {MaxStopSequences}.", "stop");
                return stops;
            default:
                throw new OpenAiRequestException("'stop' must be a string or an array of strings.", "stop");
        }
    }

    private static JsonElement? Property(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) ? value : null;

    private static string? String(JsonElement element, string name, string? at = null) => Property(element, name) switch
    {
        null or { ValueKind: JsonValueKind.Null } => null,
        { ValueKind: JsonValueKind.String } value => value.GetString(),
        _ => throw new OpenAiRequestException($"'{at ?? name}' must be a string.", at ?? name),
    };

    private static bool? Boolean(JsonElement element, string name, string? at = null) => Property(element, name) switch
    {
        null or { ValueKind: JsonValueKind.Null } => null,
        { ValueKind: JsonValueKind.True } => true,
        { ValueKind: JsonValueKind.False } => false,
        _ => throw new OpenAiRequestException($"'{at ?? name}' must be true or false.", at ?? name),
    };

    private static float? Number(JsonElement element, string name, double min, double max)
    {
        switch (Property(element, name))
        {
            case null or { ValueKind: JsonValueKind.Null }:
                return null;
            case { ValueKind: JsonValueKind.Number } value when value.TryGetDouble(out var number):
                if (number < min || number > max)
                    throw new OpenAiRequestException($"'{name}' is {number}; it must be between {min} and {max}.", name);
                return (float)number;
            default:
                throw new OpenAiRequestException($"'{name}' must be a number between {min} and {max}.", name);
        }
    }

    private static long? Integer(JsonElement element, string name) => Property(element, name) switch
    {
        null or { ValueKind: JsonValueKind.Null } => null,
        { ValueKind: JsonValueKind.Number } value when value.TryGetInt64(out var number) => number,
        _ => throw new OpenAiRequestException($"'{name}' must be an integer.", name),
    };
}
