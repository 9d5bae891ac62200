using System.Buffers;

namespace KnowledgeQa.Retrieval.Chunking;

/// <summary>How coarse a place to split text is; the chunker tries the coarsest first.</summary>
internal enum BoundaryLevel
{
    Paragraph,
    Line,
    Sentence,
    Clause,
    Word,
    /// <summary>Any text-element boundary: the last resort.</summary>
    Character,
}

/// <summary>Finds the places where text may be split, for Latin and CJK scripts alike.</summary>
internal static class TextBoundaries
{
    // Full stops that end a sentence only before whitespace (or the end), so "3.14" and "example.com" stay whole.
    private const string SpacedTerminatorChars = ".!?";
    private static readonly SearchValues<char> SpacedTerminators = SearchValues.Create(SpacedTerminatorChars);

    // CJK and full-width sentence ends (and the ellipsis) need no space after them.
    private const string UnspacedTerminatorChars = "。！？；．｡…‼⁇⁈⁉";
    private static readonly SearchValues<char> UnspacedTerminators = SearchValues.Create(UnspacedTerminatorChars);
    private static readonly SearchValues<char> Terminators = SearchValues.Create(SpacedTerminatorChars + UnspacedTerminatorChars);

    // Closing quotes and brackets that belong to the sentence they close.
    private static readonly SearchValues<char> Closers = SearchValues.Create("\"')]}»”’」』】》〉）］｝〕〗〙〛");

    private const string SpacedClauseChars = ",;:";
    private const string UnspacedClauseChars = "，、：﹐﹑﹔﹕";
    private static readonly SearchValues<char> SpacedClauseMarks = SearchValues.Create(SpacedClauseChars);
    private static readonly SearchValues<char> UnspacedClauseMarks = SearchValues.Create(UnspacedClauseChars);
    private static readonly SearchValues<char> ClauseMarks = SearchValues.Create(SpacedClauseChars + UnspacedClauseChars);

    /// <summary>Whitespace, plus invisible characters that carry nothing to embed.</summary>
    public static bool IsBlank(char c) => char.IsWhiteSpace(c) || c is '\u200B' or '\u2060' or '\uFEFF';

    /// <summary>The span without blank characters at either end.</summary>
    public static (int Start, int End) Trim(string text, int start, int end)
    {
        while (start < end && IsBlank(text[start]))
        {
            start++;
        }
        while (end > start && IsBlank(text[end - 1]))
        {
            end--;
        }
        return (start, end);
    }

    /// <summary>
    /// Positions in (start, end) where a new segment may begin at <paramref name="level"/>; segments may
    /// start or end with blanks, which the caller trims.
    /// </summary>
    public static List<int> FindCuts(string text, int start, int end, BoundaryLevel level)
    {
        var cuts = new List<int>();
        switch (level)
        {
            case BoundaryLevel.Paragraph:
                for (var i = start; i < end; i++)
                {
                    if (text[i] == '\n')
                    {
                        var j = i + 1;
                        while (j < end && text[j] is ' ' or '\t' or '\r' or '\f' or '\v')
                        {
                            j++;
                        }
                        if (j < end && text[j] == '\n')
                        {
                            while (j < end && IsBlank(text[j]))
                            {
                                j++;
                            }
                            Add(cuts, j, end);
                            i = j - 1;
                        }
                    }
                }
                break;
            case BoundaryLevel.Line:
                for (var i = start; i < end; i++)
                {
                    if (text[i] is '\n' or '\u2028' or '\u2029')
                    {
                        Add(cuts, i + 1, end);
                    }
                }
                break;
            case BoundaryLevel.Sentence:
                FindMarks(text, start, end, Terminators, SpacedTerminators, UnspacedTerminators, cuts);
                break;
            case BoundaryLevel.Clause:
                FindMarks(text, start, end, ClauseMarks, SpacedClauseMarks, UnspacedClauseMarks, cuts);
                break;
            case BoundaryLevel.Word:
                for (var i = start + 1; i < end; i++)
                {
                    if (!IsBlank(text[i]) && IsBlank(text[i - 1]))
                    {
                        cuts.Add(i);
                    }
                }
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(level), level, "character cuts depend on token counts");
        }
        return cuts;
    }

    /// <summary>Sentence starts in (start, end): sentence ends, and line breaks (list items, titles).</summary>
    public static List<int> FindSentenceStarts(string text, int start, int end)
    {
        var cuts = FindCuts(text, start, end, BoundaryLevel.Sentence);
        cuts.AddRange(FindCuts(text, start, end, BoundaryLevel.Line));
        cuts.Sort();
        return cuts;
    }

    private static void FindMarks(
        string text, int start, int end, SearchValues<char> any, SearchValues<char> spaced, SearchValues<char> unspaced, List<int> cuts)
    {
        var i = start;
        while (i < end)
        {
            var offset = text.AsSpan(i, end - i).IndexOfAny(any);
            if (offset < 0)
            {
                return;
            }
            // A run of marks ("?!", "...", "。」") ends the sentence once, after the closing quotes.
            var j = i + offset;
            var needsSpace = true;
            while (j < end && (spaced.Contains(text[j]) || unspaced.Contains(text[j])))
            {
                needsSpace &= spaced.Contains(text[j]);
                j++;
            }
            while (j < end && Closers.Contains(text[j]))
            {
                j++;
            }
            if (j < end && (!needsSpace || IsBlank(text[j])))
            {
                Add(cuts, j, end);
            }
            i = j;
        }
    }

    private static void Add(List<int> cuts, int position, int end)
    {
        if (position < end && (cuts.Count == 0 || cuts[^1] < position))
        {
            cuts.Add(position);
        }
    }

    /// <summary>
    /// Whether a cut between <paramref name="before"/> and <paramref name="after"/> falls inside a word of
    /// a spaced script (Latin, Cyrillic, digits); CJK characters are words of their own to the tokenizer.
    /// </summary>
    public static bool IsInsideWord(char before, char after) =>
        char.IsLetterOrDigit(before) && char.IsLetterOrDigit(after) && !IsCjk(before) && !IsCjk(after);

    public static bool IsCjk(char c) =>
        c is >= '\u2E80' and <= '\u9FFF'   // radicals, kana, CJK symbols, unified ideographs
            or >= '\uAC00' and <= '\uD7AF' // Hangul syllables
            or >= '\uF900' and <= '\uFAFF' // compatibility ideographs
            or >= '\uFF00' and <= '\uFFEF' // full-width forms
            or >= '\uD840' and <= '\uD8BF'; // high surrogates of planes 2 and 3 (CJK extensions B and on)
}
