using System.Buffers;
using System.Text;

namespace KnowledgeQa.Retrieval.Documents;

/// <summary>
/// Keeps a document's text to what can be indexed, shown and sent to a model: no control characters but
/// '\n' and '\t', no invisible formatting that changes how text reads (bidirectional overrides, soft
/// hyphens, byte order marks), no noncharacters and no lone surrogates (which no UTF-8 writer accepts).
/// Line separators (\r, \r\n, form feed, vertical tab, NEL, U+2028/U+2029) become '\n'.
/// PDFs in particular yield such characters: fonts without a Unicode map give their raw codes (NUL
/// and friends), and copy-protection tricks leave bidi controls behind.
/// </summary>
public static class TextSanitizer
{
    // Everything Clean may change: C0 and C1 controls, DEL, the soft hyphen, bidi embeddings,
    // overrides and isolates, line and paragraph separators, BOM, the noncharacters U+FFFE/U+FFFF and
    // surrogates (checked for pairing). '\n' and '\t' are in the set only to be let through cheaply.
    private static readonly SearchValues<char> Suspects = SearchValues.Create(BuildSuspects());

    /// <summary>Whether <paramref name="text"/> is already clean (the common case costs one vectorised scan).</summary>
    public static bool IsClean(ReadOnlySpan<char> text)
    {
        var rest = text;
        while (true)
        {
            var at = rest.IndexOfAny(Suspects);
            if (at < 0)
                return true;
            var c = rest[at];
            if (c is '\n' or '\t')
            {
                rest = rest[(at + 1)..];
                continue;
            }
            if (char.IsHighSurrogate(c) && at + 1 < rest.Length && char.IsLowSurrogate(rest[at + 1]))
            {
                rest = rest[(at + 2)..];
                continue;
            }
            return false;
        }
    }

    /// <summary>
    /// The text with line separators as '\n' and the other unwanted characters removed; a removal that
    /// would leave two spaces side by side leaves one. A lone surrogate becomes U+FFFD.
    /// </summary>
    public static string Clean(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (IsClean(text))
            return text;
        var result = new StringBuilder(text.Length);
        var cleaner = new Cleaner(result);
        cleaner.Append(text);
        cleaner.Complete();
        return result.ToString();
    }

    /// <summary>
    /// <see cref="Clean"/> for text that arrives in pieces (a file decoded as it is read): the pieces
    /// cleaned one after another give what <see cref="Clean"/> gives for the whole, whatever the
    /// boundaries split ("\r" | "\n", a surrogate pair, a removed character before a space).
    /// </summary>
    internal sealed class Cleaner(StringBuilder output)
    {
        private bool _removed;
        private bool _afterCarriageReturn;
        private char _pendingHighSurrogate;

        public void Append(ReadOnlySpan<char> piece)
        {
            if (!_removed && !_afterCarriageReturn && _pendingHighSurrogate == '\0' && IsClean(piece))
            {
                output.Append(piece); // the common case: one vectorised scan, then a copy
                return;
            }
            foreach (var c in piece)
                Append(c);
        }

        /// <summary>The end of the text: a high surrogate still waiting for its pair is a lone one.</summary>
        public void Complete()
        {
            if (_pendingHighSurrogate != '\0')
                output.Append('\uFFFD');
            _pendingHighSurrogate = '\0';
        }

        private void Append(char c)
        {
            if (_pendingHighSurrogate != '\0')
            {
                var high = _pendingHighSurrogate;
                _pendingHighSurrogate = '\0';
                _removed = false;
                if (char.IsLowSurrogate(c))
                {
                    output.Append(high).Append(c);
                    return;
                }
                output.Append('\uFFFD');
            }
            if (_afterCarriageReturn)
            {
                _afterCarriageReturn = false;
                if (c == '\n')
                    return; // "\r\n" is one line break
            }
            if (c == '\r' || IsLineSeparator(c))
            {
                output.Append('\n');
                _afterCarriageReturn = c == '\r';
                _removed = false;
                return;
            }
            if (char.IsHighSurrogate(c))
            {
                _pendingHighSurrogate = c;
                return;
            }
            if (char.IsLowSurrogate(c))
            {
                output.Append('\uFFFD');
                _removed = false;
                return;
            }
            if (IsRemoved(c))
            {
                _removed = true;
                return;
            }
            if (c == ' ' && _removed && output.Length > 0 && output[^1] is ' ' or '\t' or '\n')
                return;
            output.Append(c);
            _removed = false;
        }
    }

    /// <summary>
    /// The same cleaning character for character, so offsets into the text stay valid: what
    /// <see cref="Clean"/> would remove or turn into a line break becomes a space or '\n', a lone
    /// surrogate U+FFFD. For text whose blocks are already laid out by offset.
    /// </summary>
    public static string CleanInPlace(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (IsClean(text))
            return text;
        return string.Create(text.Length, text, static (span, source) =>
        {
            for (var i = 0; i < source.Length; i++)
            {
                var c = source[i];
                if (char.IsHighSurrogate(c) && i + 1 < source.Length && char.IsLowSurrogate(source[i + 1]))
                {
                    span[i] = c;
                    span[i + 1] = source[i + 1];
                    i++;
                }
                else if (char.IsSurrogate(c))
                {
                    span[i] = '\uFFFD';
                }
                else if (c == '\r' && i + 1 < source.Length && source[i + 1] == '\n')
                {
                    span[i] = ' ';
                }
                else if (c == '\r' || IsLineSeparator(c))
                {
                    span[i] = '\n';
                }
                else
                {
                    span[i] = IsRemoved(c) ? ' ' : c;
                }
            }
        });
    }

    private static bool IsLineSeparator(char c) => c is '\f' or '\v' or '\u0085' or '\u2028' or '\u2029';

    private static bool IsRemoved(char c) =>
        (c < ' ' && c is not ('\n' or '\t'))
        || c is (>= '\u007F' and <= '\u009F') or '\u00AD' or (>= '\u202A' and <= '\u202E') or (>= '\u2066' and <= '\u2069')
            or '\uFEFF' or '\uFFFE' or '\uFFFF';

    private static string BuildSuspects()
    {
        var set = new StringBuilder();
        for (var c = '\0'; c < ' '; c++)
            set.Append(c);
        for (var c = '\u007F'; c <= '\u009F'; c++)
            set.Append(c);
        set.Append('\u00AD').Append("\u202A\u202B\u202C\u202D\u202E\u2066\u2067\u2068\u2069\u2028\u2029\uFEFF\uFFFE\uFFFF");
        for (var c = '\uD800'; c <= '\uDFFF'; c++)
            set.Append(c);
        return set.ToString();
    }
}
