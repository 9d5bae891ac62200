using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;

namespace KnowledgeQa.Agents.ToolCalling;

/// <summary>
/// Rewrites function calls and results in a conversation as plain text turns. A model without
/// native tool calling sees only message text (ONNX Runtime GenAI's chat client drops every other
/// content), so without this it would never learn what its calls returned.
/// </summary>
internal static class ToolTranscript
{
    public static bool HasToolContent(IEnumerable<ChatMessage> messages) =>
        messages.Any(m => m.Contents.Any(c => c is FunctionCallContent or FunctionResultContent));

    /// <summary>
    /// Calls become the assistant's JSON reply, as the model itself would have written it; results
    /// become a user turn (chat templates of small models often reject a "tool" role), adjacent
    /// results merged into one so that user and assistant turns still alternate.
    /// </summary>
    public static List<ChatMessage> ToPlainText(IEnumerable<ChatMessage> messages)
    {
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        var result = new List<ChatMessage>();
        StringBuilder? pendingResults = null;

        foreach (var message in messages)
        {
            var hasResults = message.Contents.Any(c => c is FunctionResultContent);
            if (!hasResults)
            {
                Flush();
            }

            if (!message.Contents.Any(c => c is FunctionCallContent or FunctionResultContent))
            {
                result.Add(message);
                continue;
            }

            var text = new StringBuilder();
            foreach (var content in message.Contents)
            {
                switch (content)
                {
                    case TextContent { Text: { Length: > 0 } t }:
                        Append(text, t);
                        break;
                    case FunctionCallContent call:
                        names[call.CallId] = call.Name;
                        Append(text, CallJson(call));
                        break;
                    case FunctionResultContent functionResult:
                        pendingResults ??= new StringBuilder();
                        Append(pendingResults, ResultText(functionResult, names));
                        break;
                }
            }

            if (text.Length > 0)
            {
                // Text beside results (rare) keeps its place before them.
                if (hasResults)
                {
                    pendingResults!.Insert(0, text.ToString() + "\n");
                }
                else
                {
                    result.Add(new ChatMessage(message.Role, text.ToString()) { AuthorName = message.AuthorName, MessageId = message.MessageId });
                }
            }
        }

        Flush();
        return result;

        void Flush()
        {
            if (pendingResults is { Length: > 0 })
            {
                result.Add(new ChatMessage(ChatRole.User, pendingResults.ToString()));
            }

            pendingResults = null;
        }
    }

    private static void Append(StringBuilder text, string part)
    {
        if (text.Length > 0)
        {
            text.Append('\n');
        }

        text.Append(part);
    }

    private static string CallJson(FunctionCallContent call)
    {
        var arguments = new JsonObject();
        foreach (var (name, value) in call.Arguments ?? new Dictionary<string, object?>())
        {
            arguments[name] = JsonNode.Parse(Serialize(value));
        }

        return new JsonObject { ["tool"] = call.Name, ["arguments"] = arguments }.ToJsonString();
    }

    private static string ResultText(FunctionResultContent result, Dictionary<string, string> names)
    {
        var name = names.GetValueOrDefault(result.CallId, "tool");
        var value = result.Result switch
        {
            null when result.Exception is { } e => "error: " + e.Message,
            null => "(nothing)",
            string s => s,
            JsonElement { ValueKind: JsonValueKind.String } e => e.GetString()!,
            JsonElement e => e.GetRawText(),
            var other => Serialize(other),
        };
        return $"{ToolInstructions.ResultPrefix} ({name}): {value}";
    }

    private static string Serialize(object? value)
    {
        try
        {
            return JsonSerializer.Serialize(value, AIJsonUtilities.DefaultOptions);
        }
        catch (Exception e) when (e is NotSupportedException or JsonException or InvalidOperationException)
        {
            return JsonSerializer.Serialize(value?.ToString());
        }
    }
}
