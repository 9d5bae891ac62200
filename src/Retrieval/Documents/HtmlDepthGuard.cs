namespace KnowledgeQa.Retrieval.Documents;

/// <summary>
/// Measures how deep an HTML text nests its elements with one linear pass over the tags, before
/// it is parsed: AngleSharp caps the tree at about 510 levels, but 100,000 nested divs still take
/// it most of a minute. The count is an estimate on the safe side of real pages: void elements,
/// self-closed tags and elements whose end tag is optional (p, li, td...) do not nest here.
/// </summary>
internal static class HtmlDepthGuard
{
    private static readonly HashSet<string> NonNesting = new(StringComparer.OrdinalIgnoreCase)
    {
        // void elements
        "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr",
        "basefont", "bgsound", "frame", "keygen", "image",
        // elements whose end tag may be left out, which sloppy pages leave open by the hundred
        "p", "li", "dt", "dd", "tr", "td", "th", "thead", "tbody", "tfoot", "option", "optgroup", "colgroup",
        "caption", "rb", "rt", "rp", "rtc", "html", "head", "body",
    };

    private static readonly HashSet<string> RawText = new(StringComparer.OrdinalIgnoreCase)
    {
        "script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes", "plaintext",
    };

    /// <summary>The deepest nesting seen, stopping early once it passes <paramref name="limit"/>.</summary>
    public static int MeasureDepth(string html, int limit, CancellationToken cancellationToken = default)
    {
        int depth = 0, deepest = 0, i = 0, tags = 0;
        while (i < html.Length && deepest <= limit)
        {
            if (++tags % 65536 == 0)
                cancellationToken.ThrowIfCancellationRequested();
            int open = html.IndexOf('<', i);
            if (open < 0 || open + 1 >= html.Length)
                break;
            char next = html[open + 1];
            if (html.AsSpan(open).StartsWith("<!--"))
            {
                int end = html.IndexOf("-->", open + 4, StringComparison.Ordinal);
                i = end < 0 ? html.Length : end + 3;
            }
            else if (next is '!' or '?')
            {
                i = SkipTag(html, open + 2);
            }
            else if (next == '/')
            {
                int nameEnd = NameEnd(html, open + 2);
                if (nameEnd > open + 2 && !NonNesting.Contains(html[(open + 2)..nameEnd]))
                    depth = Math.Max(0, depth - 1);
                i = SkipTag(html, nameEnd);
            }
            else if (char.IsAsciiLetter(next))
            {
                int nameEnd = NameEnd(html, open + 1);
                var name = html[(open + 1)..nameEnd];
                int tagEnd = SkipTag(html, nameEnd);
                bool selfClosed = tagEnd >= 2 && html[tagEnd - 2] == '/';
                if (RawText.Contains(name))
                {
                    int close = html.IndexOf("</" + name, tagEnd, StringComparison.OrdinalIgnoreCase);
                    i = close < 0 ? html.Length : close;
                }
                else
                {
                    if (!selfClosed && !NonNesting.Contains(name))
                        deepest = Math.Max(deepest, ++depth);
                    i = tagEnd;
                }
            }
            else
            {
                i = open + 1;
            }
        }
        return deepest;
    }

    private static int NameEnd(string html, int start)
    {
        int i = start;
        while (i < html.Length && (char.IsAsciiLetterOrDigit(html[i]) || html[i] is '-' or ':' or '_'))
            i++;
        return i;
    }

    /// <summary>The index just past the tag's closing '>', skipping quoted attribute values.</summary>
    private static int SkipTag(string html, int i)
    {
        char quote = '\0';
        for (; i < html.Length; i++)
        {
            char c = html[i];
            if (quote != '\0')
            {
                if (c == quote) quote = '\0';
            }
            else if (c is '"' or '\'')
            {
                quote = c;
            }
            else if (c == '>')
            {
                return i + 1;
            }
        }
        return html.Length;
    }
}
