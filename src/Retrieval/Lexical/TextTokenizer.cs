using System.Globalization;
using System.Text;

namespace KnowledgeQa.Retrieval.Lexical;

/// <summary>
/// Splits text into lexical terms: runs of letters and digits become lower-cased words (English
/// ones stemmed, stop words dropped), runs of Han characters are segmented by jieba.NET and/or
/// split into character bigrams. Everything else (punctuation, symbols, spaces) separates terms.
/// </summary>
internal sealed class TextTokenizer(Bm25Options options)
{
    /// <summary>Prefix of bigram terms, so a bigram and the jieba word with the same characters stay separate features.</summary>
    internal const char BigramMarker = '\u0002';

    public List<string> Tokenize(string text) => Tokenize(text, strandedCharacters: null);

    /// <summary>
    /// The terms of the text; for a question, also the Chinese characters its terms cannot match
    /// (<see cref="ChineseQueryBackoff"/>), collected into <paramref name="strandedCharacters"/> when given.
    /// </summary>
    public List<string> Tokenize(string text, List<string>? strandedCharacters)
    {
        ArgumentNullException.ThrowIfNull(text);
        var terms = new List<string>();
        if (text.Length == 0)
        {
            return terms;
        }
        // NFKC folds full-width Latin letters and digits (common in Chinese text) and ligatures to their plain forms.
        text = text.Normalize(NormalizationForm.FormKC);
        var i = 0;
        while (i < text.Length)
        {
            var rune = Rune.GetRuneAt(text, i);
            if (IsHan(rune))
            {
                var start = i;
                while (i < text.Length && Rune.TryGetRuneAt(text, i, out var r) && IsHan(r))
                {
                    i += r.Utf16SequenceLength;
                }
                AddChinese(text[start..i], terms, strandedCharacters);
            }
            else if (IsWordRune(rune))
            {
                var start = i;
                i = ScanWord(text, i);
                AddWord(text.AsSpan(start, i - start), terms);
            }
            else
            {
                i += rune.Utf16SequenceLength;
            }
        }
        return terms;
    }

    private static int ScanWord(string text, int i)
    {
        while (i < text.Length)
        {
            if (!Rune.TryGetRuneAt(text, i, out var rune))
            {
                break;
            }
            if (IsWordRune(rune) && !IsHan(rune))
            {
                i += rune.Utf16SequenceLength;
            }
            else if (IsApostrophe(text[i]) && i + 1 < text.Length && char.IsLetter(text[i + 1]))
            {
                // Keep "don't" and "user's" together; the possessive is removed afterwards.
                i++;
            }
            else
            {
                break;
            }
        }
        return i;
    }

    private void AddWord(ReadOnlySpan<char> word, List<string> terms)
    {
        var lower = word.ToString().ToLowerInvariant();
        if (lower.EndsWith("'s", StringComparison.Ordinal) || lower.EndsWith("\u2019s", StringComparison.Ordinal))
        {
            lower = lower[..^2];
        }
        if (lower.Contains('\'') || lower.Contains('\u2019'))
        {
            lower = lower.Replace("'", "", StringComparison.Ordinal).Replace("\u2019", "", StringComparison.Ordinal);
        }
        if (!Ascii.IsValid(lower))
        {
            lower = RemoveDiacritics(lower);
        }
        if (lower.Length == 0 || StopWords.English.Contains(lower))
        {
            return;
        }
        terms.Add(PorterStemmer.Stem(lower));
    }

    private void AddChinese(string run, List<string> terms, List<string>? strandedCharacters)
    {
        run = ChineseScriptFolding.ToSimplified(run);
        if (options.ChineseTerms != ChineseTerms.Bigrams)
        {
            foreach (var word in ChineseWordSegmenter.Cut(run, options.JiebaDictionaryDirectory))
            {
                if (!StopWords.Chinese.Contains(word))
                {
                    terms.Add(word);
                }
                if (strandedCharacters is not null)
                {
                    ChineseQueryBackoff.CollectStranded(word, options.JiebaDictionaryDirectory, strandedCharacters);
                }
            }
        }
        if (options.ChineseTerms == ChineseTerms.Words)
        {
            return;
        }
        var runes = run.EnumerateRunes().Select(r => r.ToString()).ToArray();
        if (runes.Length == 1 && options.ChineseTerms == ChineseTerms.Bigrams)
        {
            terms.Add(runes[0]);
        }
        for (var k = 0; k + 1 < runes.Length; k++)
        {
            terms.Add(BigramMarker + runes[k] + runes[k + 1]);
        }
    }

    private static string RemoveDiacritics(string word)
    {
        var decomposed = word.Normalize(NormalizationForm.FormD);
        var builder = new StringBuilder(decomposed.Length);
        foreach (var c in decomposed)
        {
            if (CharUnicodeInfo.GetUnicodeCategory(c) != UnicodeCategory.NonSpacingMark)
            {
                builder.Append(c);
            }
        }
        return builder.ToString().Normalize(NormalizationForm.FormC);
    }

    private static bool IsApostrophe(char c) => c is '\'' or '\u2019';

    private static bool IsWordRune(Rune rune)
    {
        var category = Rune.GetUnicodeCategory(rune);
        return Rune.IsLetterOrDigit(rune)
            || category is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.LetterNumber;
    }

    internal static bool IsHan(Rune rune) => HanCharacters.IsHan(rune);
}
