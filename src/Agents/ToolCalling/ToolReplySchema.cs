using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;

namespace KnowledgeQa.Agents.ToolCalling;

/// <summary>
/// The JSON schema of a usable reply: one object per offered function,
/// {"tool": its name, "arguments": its parameters}, or {"answer": text} when answering is allowed.
/// </summary>
internal static class ToolReplySchema
{
    public static JsonElement For(ToolOffer offer)
    {
        var choices = new JsonArray();
        foreach (var function in offer.Functions)
        {
            choices.Add(new JsonObject
            {
                ["type"] = "object",
                ["properties"] = new JsonObject
                {
                    ["tool"] = new JsonObject { ["const"] = function.Name },
                    ["arguments"] = ArgumentsSchema(function),
                },
                ["required"] = new JsonArray("tool", "arguments"),
                ["additionalProperties"] = false,
            });
        }

        if (offer.AnswerAllowed)
        {
            choices.Add(new JsonObject
            {
                ["type"] = "object",
                ["properties"] = new JsonObject
                {
                    ["answer"] = new JsonObject { ["type"] = "string", ["minLength"] = 1 },
                },
                ["required"] = new JsonArray("answer"),
                ["additionalProperties"] = false,
            });
        }

        var root = new JsonObject
        {
            // llguidance (behind GenAI's guidance) reads this key and other engines ignore it.
            // Compact whitespace: with flexible whitespace a weak model can emit spaces until it
            // runs out of tokens (measured on the tiny fixture). Lenient: a "format" llguidance
            // does not know (e.g. "uri") is ignored instead of failing the whole generation.
            ["x-guidance"] = new JsonObject { ["whitespace_flexible"] = false, ["lenient"] = true },
            // anyOf, not oneOf: llguidance supports oneOf only where it can prove it equals anyOf.
            ["anyOf"] = choices,
        };
        using var document = JsonDocument.Parse(root.ToJsonString());
        return document.RootElement.Clone();
    }

    /// <summary>
    /// The function's parameter schema as the model should fill it. Properties the schema does not
    /// name are closed off (unless it says otherwise) so a guided model cannot wander into inventing keys.
    /// </summary>
    public static JsonObject ArgumentsSchema(AIFunctionDeclaration function)
    {
        var schema = function.JsonSchema.ValueKind == JsonValueKind.Object
            ? (JsonObject)JsonNode.Parse(function.JsonSchema.GetRawText())!
            : new JsonObject();
        schema.Remove("$schema");
        schema.TryAdd("type", "object");
        schema.TryAdd("properties", new JsonObject());
        schema.TryAdd("additionalProperties", false);
        return schema;
    }
}
