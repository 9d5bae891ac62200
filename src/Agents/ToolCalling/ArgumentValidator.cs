using System.Text.Json;
using Microsoft.Extensions.AI;

namespace KnowledgeQa.Agents.ToolCalling;

/// <summary>
/// Checks arguments (a model's, or an MCP client's) against the top level of a function's parameter schema: required
/// properties, JSON types, enums, and unknown properties where the schema closes them. Deeper
/// checks are left to the function's own binding, whose errors go back to the model as results.
/// </summary>
public static class ArgumentValidator
{
    /// <summary>
    /// What is wrong, in words the model can act on; null when the arguments fit. <paramref name="name"/>
    /// is the function's name as the caller knows it (default: the function's own).
    /// </summary>
    public static string? Problem(AIFunctionDeclaration function, JsonElement arguments, string? name = null)
    {
        var schema = function.JsonSchema;
        name ??= function.Name;
        if (schema.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        if (schema.TryGetProperty("required", out var required) && required.ValueKind == JsonValueKind.Array)
        {
            var missing = required.EnumerateArray()
                .Where(r => r.ValueKind == JsonValueKind.String && !arguments.TryGetProperty(r.GetString()!, out _))
                .Select(r => $"\"{r.GetString()}\"")
                .ToList();
            if (missing.Count > 0)
            {
                return $"The tool \"{name}\" needs the argument{(missing.Count > 1 ? "s" : "")} {string.Join(", ", missing)}.";
            }
        }

        var hasProperties = schema.TryGetProperty("properties", out var properties) && properties.ValueKind == JsonValueKind.Object;
        var closed = schema.TryGetProperty("additionalProperties", out var additional) && additional.ValueKind == JsonValueKind.False;
        foreach (var argument in arguments.EnumerateObject())
        {
            if (hasProperties && properties.TryGetProperty(argument.Name, out var propertySchema))
            {
                if (ValueProblem(name, argument.Name, propertySchema, argument.Value) is { } problem)
                {
                    return problem;
                }
            }
            else if (closed)
            {
                return $"The tool \"{name}\" has no argument \"{argument.Name}\".";
            }
        }

        return null;
    }

    private static string? ValueProblem(string function, string name, JsonElement schema, JsonElement value)
    {
        if (schema.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        if (schema.TryGetProperty("type", out var type))
        {
            var allowed = type.ValueKind switch
            {
                JsonValueKind.String => [type.GetString()!],
                JsonValueKind.Array => type.EnumerateArray().Where(t => t.ValueKind == JsonValueKind.String).Select(t => t.GetString()!).ToArray(),
                _ => Array.Empty<string>(),
            };
            if (allowed.Length > 0 && !allowed.Any(t => HasType(value, t)))
            {
                return $"The argument \"{name}\" of \"{function}\" must be {string.Join(" or ", allowed.Select(Article))}.";
            }
        }

        if (schema.TryGetProperty("enum", out var options) && options.ValueKind == JsonValueKind.Array
            && !options.EnumerateArray().Any(option => JsonElement.DeepEquals(option, value)))
        {
            return $"The argument \"{name}\" of \"{function}\" must be one of {string.Join(", ", options.EnumerateArray().Select(o => o.GetRawText()))}.";
        }

        return null;
    }

    private static bool HasType(JsonElement value, string type) => type switch
    {
        "string" => value.ValueKind == JsonValueKind.String,
        "number" => value.ValueKind == JsonValueKind.Number,
        "integer" => value.ValueKind == JsonValueKind.Number && IsWhole(value),
        "boolean" => value.ValueKind is JsonValueKind.True or JsonValueKind.False,
        "array" => value.ValueKind == JsonValueKind.Array,
        "object" => value.ValueKind == JsonValueKind.Object,
        "null" => value.ValueKind == JsonValueKind.Null,
        _ => true,
    };

    // JSON Schema counts 2.0 as an integer.
    private static bool IsWhole(JsonElement value) =>
        value.TryGetInt64(out _) || (value.TryGetDouble(out var d) && double.IsFinite(d) && Math.Floor(d) == d);

    private static string Article(string type) => type switch
    {
        "integer" or "array" or "object" => "an " + type,
        "null" => "null",
        _ => "a " + type,
    };
}
