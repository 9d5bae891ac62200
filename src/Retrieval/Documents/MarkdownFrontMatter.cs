namespace KnowledgeQa.Retrieval.Documents;

/// <summary>
/// The metadata of a Markdown file's YAML front matter that a knowledge base uses: the title and the
/// tags (<c>tags</c> or <c>tag</c>; also <c>keywords</c>). Reads the YAML that static-site generators
/// write (Jekyll, Hugo, VitePress, Docusaurus): <c>key: value</c> lines, quoted values, flow lists
/// <c>[a, "b c"]</c>, block lists of <c>- item</c> lines, comma-separated values and folded or literal
/// blocks (<c>&gt;</c>, <c>|</c>). Other keys are ignored; nothing of it becomes body text.
/// </summary>
internal sealed record MarkdownFrontMatter(string? Title, IReadOnlyList<string> Tags)
{
    private static readonly string[] TagKeys = ["tags", "tag", "keywords"];

    public static MarkdownFrontMatter Parse(string yaml)
    {
        var lines = yaml.Split('\n');
        string? title = null;
        var tags = new List<string>();
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            if (line.Length == 0 || char.IsWhiteSpace(line[0]) || line[0] is '#' or '-')
                continue;
            var colon = line.IndexOf(':');
            if (colon <= 0)
                continue;
            var key = line[..colon].Trim().Trim('"', '\'');
            var value = StripComment(line[(colon + 1)..]).Trim();
            var block = IndentedLines(lines, i + 1);
            if (key.Equals("title", StringComparison.OrdinalIgnoreCase))
            {
                title ??= value is "|" or ">" or "|-" or ">-" or "|+" or ">+"
                    ? string.Join(' ', block.Select(l => l.Trim()).Where(l => l.Length > 0))
                    : Unquote(value);
            }
            else if (TagKeys.Any(k => k.Equals(key, StringComparison.OrdinalIgnoreCase)))
            {
                tags.AddRange(value.Length == 0 ? BlockList(block) : InlineList(value));
            }
        }
        var distinct = tags.Select(t => t.Trim()).Where(t => t.Length > 0).Distinct(StringComparer.Ordinal).ToList();
        return new MarkdownFrontMatter(string.IsNullOrWhiteSpace(title) ? null : title.Trim(), distinct);
    }

    /// <summary>The lines after a key that belong to it: indented, or block-list items.</summary>
    private static List<string> IndentedLines(string[] lines, int from)
    {
        var result = new List<string>();
        for (var i = from; i < lines.Length; i++)
        {
            var line = lines[i];
            if (line.Length > 0 && !char.IsWhiteSpace(line[0]) && line[0] != '-')
                break;
            result.Add(line);
        }
        return result;
    }

    private static IEnumerable<string> BlockList(List<string> block)
    {
        foreach (var line in block)
        {
            var item = line.TrimStart();
            if (item.StartsWith('-'))
                yield return Unquote(StripComment(item[1..]).Trim());
        }
    }

    /// <summary>"[a, 'b']", "a, b" or a single value.</summary>
    private static IEnumerable<string> InlineList(string value)
    {
        if (value.StartsWith('[') && value.EndsWith(']'))
            value = value[1..^1];
        else if (!value.Contains(','))
            return value.Length == 0 ? [] : [Unquote(value)];
        return SplitOutsideQuotes(value).Select(Unquote);
    }

    private static List<string> SplitOutsideQuotes(string value)
    {
        var parts = new List<string>();
        var start = 0;
        foreach (var i in UnquotedPositions(value))
        {
            if (value[i] == ',')
            {
                parts.Add(value[start..i].Trim());
                start = i + 1;
            }
        }
        parts.Add(value[start..].Trim());
        return parts;
    }

    private static string Unquote(string value)
    {
        value = value.Trim();
        if (value.Length >= 2 && value[0] is '"' or '\'' && value[^1] == value[0])
            return value[1..^1].Replace(value[0] == '"' ? "\\\"" : "''", value[0] == '"' ? "\"" : "'", StringComparison.Ordinal);
        return value;
    }

    /// <summary>A YAML comment starts at " #" outside quotes.</summary>
    private static string StripComment(string value)
    {
        foreach (var i in UnquotedPositions(value))
        {
            if (value[i] == '#' && (i == 0 || char.IsWhiteSpace(value[i - 1])))
                return value[..i];
        }
        return value;
    }

    /// <summary>The positions of the characters outside '...' and "..." (the quote marks themselves left out).</summary>
    private static IEnumerable<int> UnquotedPositions(string value)
    {
        var quote = '\0';
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (quote != '\0')
            {
                if (c == quote)
                    quote = '\0';
            }
            else if (c is '"' or '\'')
            {
                quote = c;
            }
            else
            {
                yield return i;
            }
        }
    }
}
