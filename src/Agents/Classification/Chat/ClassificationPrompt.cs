using System.Text;
using Microsoft.Extensions.AI;

namespace KnowledgeQa.Agents.Classification;

/// <summary>The instructions that ask a chat model for one label, and the check of its reply.</summary>
public static class ClassificationPrompt
{
    public static IReadOnlyList<ChatMessage> Build(IReadOnlyList<LabelDefinition> labels, string text)
    {
        var system = new StringBuilder()
            .AppendLine("You are a text classifier. Read the text and answer with exactly one label from this list, spelled as given, and nothing else:");
        foreach (var label in labels)
        {
            system.Append("- ").Append(label.Name);
            if (label.Descriptions.Count > 0) system.Append(": ").Append(string.Join(" / ", label.Descriptions));
            system.AppendLine();
        }
        return
        [
            new ChatMessage(ChatRole.System, system.ToString().TrimEnd()),
            new ChatMessage(ChatRole.User, $"Text:\n{text}\n\nLabel:"),
        ];
    }

    /// <summary>The follow-up after a reply that named no label: stricter, and it repeats the choices.</summary>
    public static ChatMessage Stricter(IReadOnlyList<LabelDefinition> labels, string reply)
        => new(ChatRole.User,
            $"\"{Shorten(reply)}\" is not one of the labels. Reply with only one of these labels, exactly as written, with no other words: " +
            string.Join(" | ", labels.Select(l => l.Name)));

    /// <summary>
    /// The label a reply names, or null. Both sides are normalised the same way (case, surrounding quotes,
    /// markup and punctuation, a leading "label:"), then they must match exactly; the first line is tried
    /// alone too, since models like to add an explanation below the answer.
    /// </summary>
    public static string? MatchLabel(string? reply, IReadOnlyList<string> labels)
    {
        if (string.IsNullOrWhiteSpace(reply)) return null;
        var byNormalized = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var label in labels) byNormalized.TryAdd(Normalize(label), label);
        var firstLine = reply.Trim().Split('\n', 2)[0];
        foreach (var candidate in new[] { reply, firstLine })
            if (byNormalized.TryGetValue(Normalize(candidate), out var label)) return label;
        return null;
    }

    public static string Normalize(string value)
    {
        var s = string.Join(' ', value.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)).ToLowerInvariant();
        const string Wrapping = "\"'`*_“”‘’「」『』()[]<>.,;:!?。，；：！？ ";
        for (var changed = true; changed;)
        {
            var before = s;
            s = s.Trim(Wrapping.ToCharArray());
            foreach (var prefix in new[] { "label:", "label ", "answer:", "category:", "标签：", "标签:" })
                if (s.StartsWith(prefix, StringComparison.Ordinal)) s = s[prefix.Length..];
            changed = s != before;
        }
        return s;
    }

    private static string Shorten(string text)
    {
        var line = text.Trim().ReplaceLineEndings(" ");
        return line.Length <= 60 ? line : line[..60] + "…";
    }
}
