namespace KnowledgeQa.Agents.Text;

/// <summary>Character classes the answerer cares about: CJK ideographs, kana, hangul.</summary>
public static class ScriptDetector
{
    /// <summary>A Han ideograph (CJK unified ideographs, extension A, compatibility ideographs).</summary>
    public static bool IsHan(char c) =>
        c is >= '\u4E00' and <= '\u9FFF' or >= '\u3400' and <= '\u4DBF' or >= '\uF900' and <= '\uFAFF';

    public static bool IsKana(char c) => c is >= '\u3040' and <= '\u30FF';

    public static bool IsHangul(char c) => c is >= '\uAC00' and <= '\uD7AF' or >= '\u1100' and <= '\u11FF' or >= '\u3130' and <= '\u318F';

    /// <summary>Any character of a script written without spaces between words.</summary>
    public static bool IsCjk(char c) => IsHan(c) || IsKana(c) || IsHangul(c);

    /// <summary>Whether a text is mostly written in a CJK script (so words are not space-separated).</summary>
    public static bool IsMostlyCjk(string text)
    {
        int cjk = 0, letters = 0;
        foreach (var c in text)
        {
            if (IsCjk(c))
            {
                cjk++;
            }
            else if (char.IsLetter(c))
            {
                letters++;
            }
        }

        // A Latin word is worth several CJK characters.
        return cjk > 0 && cjk * 3 >= letters;
    }
}
