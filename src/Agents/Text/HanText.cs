using System.Text;
using KnowledgeQa.Retrieval.Lexical;

namespace KnowledgeQa.Agents.Text;

/// <summary>
/// Han characters as the lexical encoder sees them (after NFKC, <see cref="HanCharacters"/>), so that text without them yields exactly the encoder's other terms.
/// </summary>
internal static class HanText
{
    /// <summary>Whether a text holds a character the encoder would segment as Chinese.</summary>
    public static bool Holds(string text) => HoldsNormalized(text.Normalize(NormalizationForm.FormKC));

    /// <summary>The text with each Han character a space: the encoder's terms of it are its non-Chinese terms.</summary>
    public static string Blank(string text)
    {
        var normalized = text.Normalize(NormalizationForm.FormKC);
        if (!HoldsNormalized(normalized))
            return text;
        var builder = new StringBuilder(normalized.Length);
        foreach (var rune in normalized.EnumerateRunes())
        {
            if (HanCharacters.IsHan(rune))
                builder.Append(' ');
            else
                builder.Append(rune.ToString());
        }
        return builder.ToString();
    }

    private static bool HoldsNormalized(string normalized)
    {
        foreach (var rune in normalized.EnumerateRunes())
        {
            if (HanCharacters.IsHan(rune))
                return true;
        }
        return false;
    }
}
