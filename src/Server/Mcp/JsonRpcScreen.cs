using System.Text.Json;
using System.Text.Json.Nodes;

namespace KnowledgeQa.Server.Mcp;

/// <summary>
/// Checks one incoming MCP message before the MCP library sees it, and answers what the library
/// would drop in silence (ModelContextProtocol 2.4.0 ignores a line that is not JSON and a JSON-RPC
/// batch over stdio, and calls invalid JSON "-32600" over HTTP): invalid JSON gets -32700 (parse
/// error); a batch, a non-object or an object that is neither a request nor a response gets
/// -32600 (invalid request), with the message's id when it has a usable one.
/// </summary>
public static class JsonRpcScreen
{
    public const int ParseError = -32700;
    public const int InvalidRequest = -32600;

    private static readonly JsonDocumentOptions ReaderOptions = new() { MaxDepth = 64 };

    /// <summary>The error response to send instead of passing <paramref name="message"/> on; null when it may pass.</summary>
    public static JsonNode? Check(ReadOnlyMemory<byte> message)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(message, ReaderOptions);
        }
        catch (JsonException e)
        {
            return Error(ParseError, $"Parse error: the message is not valid JSON ({FirstSentence(e.Message)}).", null);
        }
        using (document)
        {
            var root = document.RootElement;
            return root.ValueKind switch
            {
                JsonValueKind.Object => CheckObject(root),
                JsonValueKind.Array => CheckBatch(root),
                _ => Error(InvalidRequest, "Invalid Request: a JSON-RPC message must be a JSON object.", null),
            };
        }
    }

    /// <summary>A JSON-RPC error response.</summary>
    public static JsonObject Error(int code, string message, JsonNode? id) => new()
    {
        ["jsonrpc"] = "2.0",
        ["id"] = id,
        ["error"] = new JsonObject { ["code"] = code, ["message"] = message },
    };

    private static JsonNode? CheckBatch(JsonElement batch)
    {
        const string message = "Invalid Request: JSON-RPC batches are not supported by MCP (removed in protocol version 2025-06-18); send each message on its own.";
        if (batch.GetArrayLength() == 0)
            return Error(InvalidRequest, "Invalid Request: an empty batch.", null);
        // One error per element, so that a client matching responses by id hears about each request.
        var errors = new JsonArray();
        foreach (var element in batch.EnumerateArray())
            errors.Add(Error(InvalidRequest, message, UsableId(element)));
        return errors;
    }

    private static JsonNode? CheckObject(JsonElement message)
    {
        var id = UsableId(message);
        if (!message.TryGetProperty("jsonrpc", out var version) || version.ValueKind != JsonValueKind.String || version.GetString() != "2.0")
            return Error(InvalidRequest, "Invalid Request: 'jsonrpc' must be \"2.0\".", id);
        if (message.TryGetProperty("id", out var rawId) && rawId.ValueKind is not (JsonValueKind.String or JsonValueKind.Number or JsonValueKind.Null))
            return Error(InvalidRequest, "Invalid Request: 'id' must be a string or a number.", null);

        if (message.TryGetProperty("method", out var method))
        {
            if (method.ValueKind != JsonValueKind.String || method.GetString() is not { Length: > 0 })
                return Error(InvalidRequest, "Invalid Request: 'method' must be a non-empty string.", id);
            if (message.TryGetProperty("params", out var parameters) && parameters.ValueKind is not (JsonValueKind.Object or JsonValueKind.Array))
                return Error(InvalidRequest, "Invalid Request: 'params' must be an object or an array.", id);
            return null;
        }

        var isResponse = message.TryGetProperty("id", out _)
            && (message.TryGetProperty("result", out _) ^ message.TryGetProperty("error", out _));
        return isResponse
            ? null
            : Error(InvalidRequest, "Invalid Request: neither a request ('method') nor a response ('id' with 'result' or 'error').", id);
    }

    private static JsonNode? UsableId(JsonElement message) =>
        message.ValueKind == JsonValueKind.Object && message.TryGetProperty("id", out var id) && id.ValueKind is JsonValueKind.String or JsonValueKind.Number
            ? JsonNode.Parse(id.GetRawText())
            : null;

    private static string FirstSentence(string message)
    {
        var end = message.IndexOf(" Path:", StringComparison.Ordinal);
        return (end >= 0 ? message[..end] : message).TrimEnd('.', ' ');
    }
}
