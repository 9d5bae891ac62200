using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace KnowledgeQa.Retrieval.Documents;

/// <summary>
/// Turns the inline markup of one Markdown block into readable text: links and images keep their
/// text, emphasis markers and inline HTML go, code spans stay verbatim, entities and escapes are
/// resolved. Markdig's own inline parser takes time that grows with the square of some hostile
/// inputs (thousands of unclosed "[a](" on one line take seconds); these patterns run in linear
/// time (non-backtracking regexes and single passes).
/// </summary>
internal static partial class MarkdownInlineText
{
    private const RegexOptions Linear = RegexOptions.NonBacktracking | RegexOptions.CultureInvariant;

    [GeneratedRegex(@"``([^`]+)``|`([^`\n]+)`", Linear)]
    private static partial Regex CodeSpan();

    [GeneratedRegex(@"!?\[([^\[\]\n]*)\]\([^()\n]*\)|!?\[([^\[\]\n]*)\]\[[^\[\]\n]*\]", Linear)]
    private static partial Regex LinkOrImage();

    [GeneratedRegex(@"<((?:https?|ftp|mailto):[^<>\s]+)>", Linear | RegexOptions.IgnoreCase)]
    private static partial Regex Autolink();

    [GeneratedRegex(@"<!--[^>]*-->|</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>", Linear)]
    private static partial Regex HtmlTag();

    // Attribute lists of markdown-it-attrs, Pandoc, kramdown and VitePress: {#id}, {.class},
    // {#id .class key=value}. Each item must look like one, so {{ mustache }} and { a: 1 } stay.
    [GeneratedRegex(@"[ \t]*\{:?[ \t]*(?:[#.][\w-]+|[\w-]+=(?:""[^""\n]*""|'[^'\n]*'|[\w.:/-]+))(?:[ \t]+(?:[#.][\w-]+|[\w-]+=(?:""[^""\n]*""|'[^'\n]*'|[\w.:/-]+)))*[ \t]*\}", Linear)]
    private static partial Regex AttributeList();

    // Without any of these a block has no inline markup at all: most prose skips the regexes.
    private static readonly System.Buffers.SearchValues<char> MarkupCharacters = System.Buffers.SearchValues.Create("`[<*_~\\&");

    /// <summary>The text without attribute lists such as <c>{#basic-example}</c> or <c>{.note}</c>.</summary>
    public static string StripAttributeLists(string text) =>
        text.Contains('{') ? AttributeList().Replace(text, "") : text;

    /// <summary>
    /// The text of raw HTML in Markdown: comments and the contents of script and style elements
    /// dropped, every other tag removed, its text kept and read as Markdown (it may hold markup).
    /// </summary>
    public static string HtmlToPlainText(string html)
    {
        var text = new StringBuilder(html.Length);
        var position = 0;
        while (position < html.Length)
        {
            var open = html.IndexOf('<', position);
            if (open < 0)
                break;
            var skipTo = -1;
            if (string.CompareOrdinal(html, open, "<!--", 0, 4) == 0)
            {
                var end = html.IndexOf("-->", open + 4, StringComparison.Ordinal);
                skipTo = end < 0 ? html.Length : end + 3;
            }
            else if (RawTextElement(html, open) is { } name)
            {
                var end = html.IndexOf("</" + name, open + 1 + name.Length, StringComparison.OrdinalIgnoreCase);
                var close = end < 0 ? -1 : html.IndexOf('>', end);
                skipTo = close < 0 ? html.Length : close + 1;
            }
            if (skipTo < 0)
            {
                text.Append(html, position, open + 1 - position);
                position = open + 1;
                continue;
            }
            text.Append(html, position, open - position).Append(' ');
            position = skipTo;
        }
        text.Append(html, position, html.Length - position);
        return ToPlainText(text.ToString());
    }

    private static string? RawTextElement(string html, int open)
    {
        foreach (var name in (ReadOnlySpan<string>)["script", "style"])
        {
            var end = open + 1 + name.Length;
            if (end <= html.Length && string.Compare(html, open + 1, name, 0, name.Length, StringComparison.OrdinalIgnoreCase) == 0
                && (end == html.Length || html[end] is '>' or ' ' or '\t' or '\n' or '/'))
            {
                return name;
            }
        }
        return null;
    }

    public static string ToPlainText(string markdown)
    {
        if (markdown.AsSpan().IndexOfAny(MarkupCharacters) < 0)
            return markdown;
        if (!markdown.Contains('`'))
            return StripMarkup(markdown);
        // Code spans are cut out first so that nothing inside them is touched.
        var result = new StringBuilder(markdown.Length);
        int position = 0;
        foreach (Match match in CodeSpan().Matches(markdown))
        {
            result.Append(StripMarkup(markdown[position..match.Index]));
            result.Append(match.Groups[1].Success ? match.Groups[1].Value.Trim() : match.Groups[2].Value);
            position = match.Index + match.Length;
        }
        result.Append(StripMarkup(markdown[position..]));
        return result.ToString();
    }

    private static string StripMarkup(string text)
    {
        if (text.Length == 0)
            return text;
        if (text.Contains('['))
            text = LinkOrImage().Replace(text, m => m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Value);
        if (text.Contains('<'))
        {
            text = Autolink().Replace(text, "$1");
            text = HtmlTag().Replace(text, "");
        }
        text = RemoveEmphasis(text);
        text = RemoveEscapes(text);
        return text.Contains('&') ? WebUtility.HtmlDecode(text) : text;
    }

    // '*' and '~~' runs touching a word are emphasis or strike-through; '_' only at a word's
    // edge, so snake_case names survive.
    private static string RemoveEmphasis(string text)
    {
        var result = new StringBuilder(text.Length);
        int i = 0;
        while (i < text.Length)
        {
            char c = text[i];
            if (c is '*' or '_' or '~' && !(i > 0 && text[i - 1] == '\\'))
            {
                int runEnd = i;
                while (runEnd < text.Length && text[runEnd] == c)
                    runEnd++;
                char before = i > 0 ? text[i - 1] : ' ';
                char after = runEnd < text.Length ? text[runEnd] : ' ';
                bool touchesWord = !char.IsWhiteSpace(before) || !char.IsWhiteSpace(after);
                bool isMarker = c switch
                {
                    '*' => touchesWord,
                    '_' => touchesWord && !(char.IsLetterOrDigit(before) && char.IsLetterOrDigit(after)),
                    _ => runEnd - i == 2 && touchesWord,
                };
                if (!isMarker)
                    result.Append(text, i, runEnd - i);
                i = runEnd;
                continue;
            }
            result.Append(c);
            i++;
        }
        return result.ToString();
    }

    private static string RemoveEscapes(string text)
    {
        if (!text.Contains('\\'))
            return text;
        var result = new StringBuilder(text.Length);
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] == '\\' && i + 1 < text.Length && char.IsAsciiLetterOrDigit(text[i + 1]) is false && text[i + 1] is > ' ' and < '\x7F')
                i++;
            result.Append(text[i]);
        }
        return result.ToString();
    }
}
