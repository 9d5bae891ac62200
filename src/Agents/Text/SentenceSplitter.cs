namespace KnowledgeQa.Agents.Text;

/// <summary>A sentence of a passage: its text and character span in the passage.</summary>
public readonly record struct Sentence(string Text, int Start, int Length);

/// <summary>
/// Splits text into sentences at Latin sentence ends (. ! ? before whitespace), CJK sentence ends
/// (。！？； with any closing quote or bracket, but not inside a short bracket) and line breaks. Initials, numbers and common
/// abbreviations (e.g., Dr., U.S.) do not end a sentence.
/// </summary>
public static class SentenceSplitter
{
    private static readonly HashSet<string> Abbreviations = new(StringComparer.OrdinalIgnoreCase)
    {
        "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "vs", "etc", "e.g", "i.e", "cf", "fig", "no", "vol",
        "inc", "ltd", "co", "corp", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
        "approx", "ca", "u.s", "u.k", "a.m", "p.m",
    };

    public static IReadOnlyList<Sentence> Split(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var sentences = new List<Sentence>();
        var start = 0;
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            int end;
            if (c is '\n' or '\r' && !IsSoftLineBreak(text, i))
            {
                end = i;
                Add(sentences, text, start, end);
                while (i < text.Length && char.IsWhiteSpace(text[i]))
                {
                    i++;
                }

                start = i;
                continue;
            }

            if (c is '。' or '！' or '？' or '；' && !InsideBracket(text, start, i))
            {
                end = SkipClosers(text, i + 1);
                Add(sentences, text, start, end);
                start = i = end;
                continue;
            }

            if (c is '.' or '!' or '?' && IsLatinSentenceEnd(text, i))
            {
                end = SkipClosers(text, i + 1);
                Add(sentences, text, start, end);
                start = i = end;
                continue;
            }

            i++;
        }

        Add(sentences, text, start, text.Length);
        return sentences;
    }

    /// <summary>
    /// A line break inside a hard-wrapped paragraph ("from 20 to\n80 percent") continues the
    /// sentence; a blank line, or a next line that starts a list item, table row or heading, ends it.
    /// </summary>
    private static bool IsSoftLineBreak(string text, int i)
    {
        var next = i + 1;
        if (text[i] == '\r' && next < text.Length && text[next] == '\n')
        {
            next++;
        }

        while (next < text.Length && text[next] is ' ' or '\t')
        {
            next++;
        }

        if (next >= text.Length || text[next] is '\n' or '\r' or '-' or '*' or '•' or '|' or '#' or '>')
        {
            return false;
        }

        // Table rows, as readers render them ("E07 | Motor overheated | Stop ..."), are lines of their own.
        if (LineAt(text, next).Contains(" | ", StringComparison.Ordinal) || LineBefore(text, i).Contains(" | ", StringComparison.Ordinal))
        {
            return false;
        }

        return i > 0 && text[i - 1] is not ('\n' or '\r' or ':' or '：');
    }

    private static ReadOnlySpan<char> LineAt(string text, int start)
    {
        var end = text.IndexOfAny(['\n', '\r'], start);
        return text.AsSpan(start, (end < 0 ? text.Length : end) - start);
    }

    private static ReadOnlySpan<char> LineBefore(string text, int lineBreak)
    {
        var start = text.LastIndexOfAny(['\n', '\r'], Math.Max(0, lineBreak - 1)) + 1;
        return text.AsSpan(start, lineBreak - start);
    }

    private static bool IsLatinSentenceEnd(string text, int i)
    {
        var after = SkipClosers(text, i + 1);
        // "3.5", "example.com", "...": no whitespace after the mark, so not a sentence end.
        if (after < text.Length && !char.IsWhiteSpace(text[after]) && !ScriptDetector.IsCjk(text[after]))
        {
            return false;
        }

        // A sentence starts with a capital, a digit or a quote: "Y. p. orientalis", "approx. half" go on.
        var next = after;
        while (next < text.Length && char.IsWhiteSpace(text[next]) && text[next] is not ('\n' or '\r'))
        {
            next++;
        }

        if (next < text.Length && char.IsLower(text[next]) && text[next] < FirstNonLatinLetter)
        {
            return false;
        }

        if (text[i] != '.')
        {
            return true;
        }

        var wordStart = i;
        while (wordStart > 0 && (char.IsLetter(text[wordStart - 1]) || text[wordStart - 1] == '.'))
        {
            wordStart--;
        }

        var word = text[wordStart..i];
        if (word.Length == 1 && char.IsUpper(word[0]))
        {
            return false; // an initial: "J. R. R. Tolkien"
        }

        return !Abbreviations.Contains(word);
    }

    // Lowercase letters below U+02B0 (modifier letters) are Latin ones, accented included: only they continue a Latin sentence.
    private const char FirstNonLatinLetter = '\u02B0';

    // How far ahead a bracket must close for a mark inside it not to end the sentence: a gloss, not a runaway bracket.
    private const int MaxBracketReach = 80;

    /// <summary>
    /// Whether the mark at <paramref name="i"/> stands inside a bracket that opened in this sentence and closes soon
    /// after: "伊维卡·奥利奇（，；），克罗地亚足球运动员" is one sentence, not "伊维卡·奥利奇（，；）" and a fragment opening with a comma.
    /// </summary>
    private static bool InsideBracket(string text, int start, int i)
    {
        var depth = 0;
        for (var j = start; j < i; j++)
        {
            if (text[j] is '（' or '(')
                depth++;
            else if (text[j] is '）' or ')' && depth > 0)
                depth--;
        }

        if (depth == 0)
            return false;
        for (var j = i + 1; j < text.Length && j <= i + MaxBracketReach; j++)
        {
            if (text[j] is '）' or ')')
                return true;
            if (text[j] is '\n' or '\r' or '（' or '(')
                return false;
        }

        return false;
    }

    private static int SkipClosers(string text, int i)
    {
        while (i < text.Length && text[i] is '"' or '\'' or ')' or ']' or '”' or '’' or '」' or '』' or '）' or '》' or '】')
        {
            i++;
        }

        return i;
    }

    private static void Add(List<Sentence> sentences, string text, int start, int end)
    {
        while (start < end && char.IsWhiteSpace(text[start]))
        {
            start++;
        }

        while (end > start && char.IsWhiteSpace(text[end - 1]))
        {
            end--;
        }

        if (end > start)
        {
            sentences.Add(new Sentence(text[start..end], start, end - start));
        }
    }
}
