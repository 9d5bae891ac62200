using System.Globalization;

namespace KnowledgeQa.Agents.Classification;

/// <summary>
/// Splits text into lexical units without a dictionary: lower-cased words for alphabetic scripts and
/// single characters for CJK runs (which n-gram features then pair up). Good enough for hashed
/// features, where character bigrams stand in for Chinese words.
/// </summary>
public static class LexicalTokenizer
{
    /// <summary>A run of units of one kind; n-grams never cross a run boundary of a different kind.</summary>
    public readonly record struct Unit(string Text, bool IsCjk);

    public static List<Unit> Split(string text)
    {
        var units = new List<Unit>();
        var word = new System.Text.StringBuilder();
        void FlushWord()
        {
            if (word.Length == 0) return;
            var w = word.ToString().Trim('\'');
            if (w.Length > 0) units.Add(new Unit(w.ToLowerInvariant(), false));
            word.Clear();
        }

        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                var pair = text.Substring(i, 2);
                i++;
                if (IsCjk(char.ConvertToUtf32(pair, 0))) { FlushWord(); units.Add(new Unit(pair, true)); }
                else FlushWord();
                continue;
            }
            if (IsCjk(c)) { FlushWord(); units.Add(new Unit(c.ToString(), true)); }
            else if (char.IsLetterOrDigit(c) || (c == '\'' && word.Length > 0) || (c == '\'' && i + 1 < text.Length && char.IsLetter(text[i + 1])))
                word.Append(c);
            else if (CharUnicodeInfo.GetUnicodeCategory(c) is UnicodeCategory.NonSpacingMark && word.Length > 0)
                continue;
            else FlushWord();
        }
        FlushWord();
        return units;
    }

    /// <summary>Han ideographs, kana and hangul: scripts written without spaces between words.</summary>
    public static bool IsCjk(int codePoint) =>
        codePoint is >= 0x4E00 and <= 0x9FFF      // CJK unified ideographs
            or >= 0x3400 and <= 0x4DBF            // extension A
            or >= 0x20000 and <= 0x2EBEF          // extensions B-F
            or >= 0xF900 and <= 0xFAFF            // compatibility ideographs
            or >= 0x3040 and <= 0x30FF            // hiragana, katakana
            or >= 0xAC00 and <= 0xD7AF;           // hangul syllables

    /// <summary>The share of letters that are CJK: used to route a text to the Chinese or the English path.</summary>
    public static double CjkShare(string text)
    {
        int cjk = 0, letters = 0;
        foreach (var rune in text.EnumerateRunes())
        {
            if (IsCjk(rune.Value)) { cjk++; letters++; }
            else if (System.Text.Rune.IsLetter(rune)) letters++;
        }
        return letters == 0 ? 0 : (double)cjk / letters;
    }
}
