using System.Text;

namespace KnowledgeQa.Retrieval.Lexical;

/// <summary>
/// The characters the lexical analyzer segments as Chinese. Public so that callers that must see
/// text exactly as the analyzer does (the answerer skips Han text for non-Chinese questions) share
/// one definition instead of a copy.
/// </summary>
public static class HanCharacters
{
    /// <summary>CJK unified ideographs (with extensions and compatibility forms) and 〇, after NFKC.</summary>
    public static bool IsHan(Rune rune) => rune.Value switch
    {
        0x3007 => true,
        >= 0x3400 and <= 0x4DBF => true,
        >= 0x4E00 and <= 0x9FFF => true,
        >= 0xF900 and <= 0xFAFF => true,
        >= 0x20000 and <= 0x3134F => true,
        _ => false,
    };
}
