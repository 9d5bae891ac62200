using System.Text.Json;

namespace KnowledgeQa.Agents.ToolCalling;

/// <summary>
/// Finds the first JSON object in a model's reply, whatever surrounds it: code fences, a sentence
/// before or after, or a stray token after the closing brace.
/// </summary>
internal static class JsonObjectFinder
{
    private const int MaxCandidates = 32;

    private static readonly JsonDocumentOptions Lenient = new()
    {
        AllowTrailingCommas = true,
        CommentHandling = JsonCommentHandling.Skip,
    };

    public static bool TryFindFirst(string text, out JsonElement value)
    {
        var candidates = 0;
        for (var start = text.IndexOf('{'); start >= 0 && candidates < MaxCandidates; start = text.IndexOf('{', start + 1))
        {
            var end = BalancedEnd(text, start);
            if (end < 0)
            {
                continue;
            }

            candidates++;
            try
            {
                using var document = JsonDocument.Parse(text.AsMemory(start, end - start + 1), Lenient);
                value = document.RootElement.Clone();
                return true;
            }
            catch (JsonException)
            {
                // Braces that are not JSON ("{name}" in prose); the object may come later.
            }
        }

        value = default;
        return false;
    }

    /// <summary>The index of the brace that closes the one at <paramref name="start"/>, or -1 (cut off).</summary>
    private static int BalancedEnd(string text, int start)
    {
        var depth = 0;
        var inString = false;
        var escaped = false;
        for (var i = start; i < text.Length; i++)
        {
            var c = text[i];
            if (inString)
            {
                if (escaped)
                {
                    escaped = false;
                }
                else if (c == '\\')
                {
                    escaped = true;
                }
                else if (c == '"')
                {
                    inString = false;
                }

                continue;
            }

            switch (c)
            {
                case '"':
                    inString = true;
                    break;
                case '{':
                    depth++;
                    break;
                case '}':
                    depth--;
                    if (depth == 0)
                    {
                        return i;
                    }

                    break;
            }
        }

        return -1;
    }
}
