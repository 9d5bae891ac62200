using System.Text.Json;
using System.Text.Json.Nodes;

namespace KnowledgeQa.Agents.ToolCalling;

/// <summary>
/// Reads a model's reply as {"tool": name, "arguments": {...}} or {"answer": text}. Tolerant of
/// what small models do around the object (fences, prose, trailing tokens), of the OpenAI-style
/// spellings {"name": ..., "arguments": ...} and {"function": {...}}, and of arguments sent as a
/// JSON string; strict about the tool's name and its schema's top level.
/// </summary>
internal static class ToolReplyParser
{
    public static ToolReply Parse(string text, ToolOffer offer)
    {
        if (!JsonObjectFinder.TryFindFirst(text, out var reply))
        {
            return new ToolReply.Unusable("It holds no JSON object.");
        }

        if (CallParts(reply) is var (name, arguments))
        {
            return ParseCall(name, arguments, offer);
        }

        if (reply.TryGetProperty("answer", out var answer))
        {
            return offer.AnswerAllowed
                ? new ToolReply.Answer(answer.ValueKind == JsonValueKind.String ? answer.GetString()! : answer.GetRawText())
                : new ToolReply.Unusable("A tool must be called now; an answer is not accepted.");
        }

        return new ToolReply.Unusable("The JSON object has neither a \"tool\" nor an \"answer\" property.");
    }

    private static (string Name, JsonElement Arguments)? CallParts(JsonElement reply)
    {
        if (reply.TryGetProperty("function", out var function) && function.ValueKind == JsonValueKind.Object)
        {
            return CallParts(function);
        }

        foreach (var key in (string[])["tool", "name", "function"])
        {
            if (reply.TryGetProperty(key, out var name) && name.ValueKind == JsonValueKind.String)
            {
                var arguments = reply.TryGetProperty("arguments", out var a) ? a
                    : reply.TryGetProperty("parameters", out var p) ? p
                    : OtherProperties(reply, key);
                return (name.GetString()!, arguments);
            }
        }

        return null;
    }

    /// <summary>Arguments written beside the tool's name instead of inside "arguments" (a small-model habit).</summary>
    private static JsonElement OtherProperties(JsonElement reply, string nameKey)
    {
        var rest = new JsonObject();
        foreach (var property in reply.EnumerateObject())
        {
            if (property.Name != nameKey)
            {
                rest[property.Name] = JsonNode.Parse(property.Value.GetRawText());
            }
        }

        using var document = JsonDocument.Parse(rest.ToJsonString());
        return document.RootElement.Clone();
    }

    private static ToolReply ParseCall(string name, JsonElement arguments, ToolOffer offer)
    {
        if (offer.Find(name) is not { } function)
        {
            return new ToolReply.Unusable(
                $"There is no tool named \"{name}\"; the tools are {string.Join(", ", offer.Functions.Select(f => $"\"{f.Name}\""))}.");
        }

        var values = arguments;
        if (values.ValueKind == JsonValueKind.String && TryParseObject(values.GetString()!, out var parsed))
        {
            values = parsed;
        }

        if (values.ValueKind == JsonValueKind.Null)
        {
            values = EmptyObject();
        }

        if (values.ValueKind != JsonValueKind.Object)
        {
            return new ToolReply.Unusable($"The \"arguments\" of \"{name}\" must be a JSON object.");
        }

        if (ArgumentValidator.Problem(function, values) is { } problem)
        {
            return new ToolReply.Unusable(problem);
        }

        // JsonElement values, as the OpenAI client produces them: function binding (Microsoft.Extensions.AI
        // and Semantic Kernel alike) converts them to the parameter types.
        var dictionary = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var property in values.EnumerateObject())
        {
            dictionary[property.Name] = property.Value.Clone();
        }

        return new ToolReply.Call(function.Name, dictionary);
    }

    private static bool TryParseObject(string text, out JsonElement value)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            value = document.RootElement.Clone();
            return value.ValueKind == JsonValueKind.Object;
        }
        catch (JsonException)
        {
            value = default;
            return false;
        }
    }

    private static JsonElement EmptyObject()
    {
        using var document = JsonDocument.Parse("{}");
        return document.RootElement.Clone();
    }
}
