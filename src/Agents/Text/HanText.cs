using System.Text;

namespace KnowledgeQa.Agents.Text;

/// <summary>
/// Han characters as the lexical encoder sees them (KnowledgeQa.Retrieval.Lexical.TextTokenizer: after NFKC,
/// the same code point ranges), so that text without them yields exactly the encoder's other terms.
/// </summary>
internal static class HanText
{
    /// <summary>Whether a text holds a character the encoder would segment as Chinese.</summary>
    public static bool Holds(string text)
    {
        foreach (var rune in text.Normalize(NormalizationForm.FormKC).EnumerateRunes())
        {
            if (IsHan(rune))
                return true;
        }
        return false;
    }

    /// <summary>The text with each Han character a space: the encoder's terms of it are its non-Chinese terms.</summary>
    public static string Blank(string text)
    {
        var normalized = text.Normalize(NormalizationForm.FormKC);
        if (!Holds(normalized))
            return text;
        var builder = new StringBuilder(normalized.Length);
        foreach (var rune in normalized.EnumerateRunes())
        {
            if (IsHan(rune))
                builder.Append(' ');
            else
                builder.Append(rune.ToString());
        }
        return builder.ToString();
    }

    // Mirrors TextTokenizer.IsHan.
    private static bool IsHan(Rune rune) => rune.Value switch
    {
        0x3007 => true,
        >= 0x3400 and <= 0x4DBF => true,
        >= 0x4E00 and <= 0x9FFF => true,
        >= 0xF900 and <= 0xFAFF => true,
        >= 0x20000 and <= 0x3134F => true,
        _ => false,
    };
}
