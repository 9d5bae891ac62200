using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace KnowledgeQa.Server;

/// <summary>
/// Describes a JSON body the API could not read in the caller's terms: which field has the wrong
/// type and what it should be ("'top' must be an integer"), never the .NET type it was bound to.
/// </summary>
public static class JsonBodyErrors
{
    public static string Describe(JsonException error, Type? bodyType)
    {
        if (error.Path is { } path && bodyType is not null && IsTypeMismatch(error) && ExpectedAt(path, bodyType) is { } expected)
        {
            var field = path.TrimStart('$').TrimStart('.');
            return field.Length == 0
                ? $"the request body must be {expected}."
                : $"'{field}' must be {expected}.";
        }
        var where = error.Path is { } at ? $" at {at}" : "";
        var line = error.LineNumber is { } l ? $" (line {l + 1}, byte {error.BytePositionInLine + 1})" : "";
        // Syntax errors come from the JSON reader and name no types; anything else is summarised.
        return IsTypeMismatch(error) || NamesDotNetType(error.Message)
            ? $"malformed JSON body: a value{where} does not fit the request{line}."
            : $"malformed JSON body: {FirstSentence(error.Message)}{line}";
    }

    private static bool IsTypeMismatch(JsonException error) =>
        error.Message.StartsWith("The JSON value could not be converted", StringComparison.Ordinal);

    private static bool NamesDotNetType(string message) =>
        message.Contains("System.", StringComparison.Ordinal) || message.Contains("KnowledgeQa.", StringComparison.Ordinal);

    private static string FirstSentence(string message)
    {
        var end = message.IndexOf(" Path:", StringComparison.Ordinal);
        return (end >= 0 ? message[..end] : message).TrimEnd();
    }

    /// <summary>The JSON kind expected at <paramref name="path"/> ("$.tags[0]") of <paramref name="bodyType"/>.</summary>
    private static string? ExpectedAt(string path, Type bodyType)
    {
        var type = bodyType;
        foreach (var segment in Segments(path))
        {
            var next = segment == "[]" ? ElementType(type) : PropertyType(type, segment);
            if (next is null)
                return null;
            type = next;
        }
        return Kind(type);
    }

    private static IEnumerable<string> Segments(string path)
    {
        var i = path.StartsWith('$') ? 1 : 0;
        while (i < path.Length)
        {
            if (path[i] == '.')
            {
                var end = path.IndexOfAny(['.', '['], i + 1);
                end = end < 0 ? path.Length : end;
                yield return path[(i + 1)..end];
                i = end;
            }
            else if (path[i] == '[')
            {
                var end = path.IndexOf(']', i);
                if (end < 0)
                    yield break;
                var inside = path[(i + 1)..end];
                // ['name'] is a property written in brackets; [0] an array index.
                yield return inside.StartsWith('\'') ? inside.Trim('\'') : "[]";
                i = end + 1;
            }
            else
            {
                yield break;
            }
        }
    }

    private static Type? PropertyType(Type type, string name)
    {
        var info = ServerJson.Options.GetTypeInfo(type);
        return info.Kind == JsonTypeInfoKind.Object
            ? info.Properties.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase))?.PropertyType
            : null;
    }

    private static Type? ElementType(Type type) =>
        ServerJson.Options.GetTypeInfo(type).ElementType;

    private static string Kind(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type == typeof(string))
            return "a string";
        if (type == typeof(bool))
            return "true or false";
        if (type == typeof(int) || type == typeof(long) || type == typeof(short))
            return "an integer";
        if (type == typeof(double) || type == typeof(float) || type == typeof(decimal))
            return "a number";
        if (type.IsEnum)
            return "a string";
        var info = ServerJson.Options.GetTypeInfo(type);
        return info.Kind switch
        {
            JsonTypeInfoKind.Enumerable when info.ElementType is { } element => $"an array of {Plural(Kind(element))}",
            JsonTypeInfoKind.Dictionary => "an object",
            JsonTypeInfoKind.Object => "a JSON object",
            _ => "a value of another type",
        };
    }

    private static string Plural(string kind) => kind switch
    {
        "a string" => "strings",
        "an integer" => "integers",
        "a number" => "numbers",
        "true or false" => "booleans",
        _ => "values",
    };
}
