using System.Collections.Concurrent;
using System.Text;

namespace KnowledgeQa.Retrieval.Lexical;

/// <summary>
/// jieba's two-character dictionary words that hold a character, most frequent first: the words a
/// lone character of a question may stand for in a passage (充 → 充电, 补充, 充满). Looked up per
/// character when a question first needs it (one pass over the segmenter's trie, a few milliseconds)
/// and kept; building the lists of all 20,000 characters at once cost a cold question about 0.2 s.
/// </summary>
internal static class ChineseCharacterWords
{
    /// <summary>At most this many words per character: enough for 充 to reach 充电 (its tenth most frequent word), few enough to keep a query short.</summary>
    public const int MaxWordsPerCharacter = 48;

    private static readonly ConcurrentDictionary<char, string[]> ByCharacter = new();

    /// <summary>The words that hold the character (Simplified), most frequent first; empty when none.</summary>
    public static IReadOnlyList<string> Containing(char character, string? dictionaryDirectory) =>
        ByCharacter.GetOrAdd(character, static (c, directory) => Find(c, directory), dictionaryDirectory);

    private static string[] Find(char character, string? dictionaryDirectory)
    {
        var words = ChineseWordSegmenter.TwoCharacterWordsWith(character, dictionaryDirectory)
            .Where(word => !word.IsName && IsTwoHan(word.Word[0], word.Word[1]))
            .ToList();
        words.Sort((a, b) => a.Frequency != b.Frequency ? b.Frequency.CompareTo(a.Frequency) : string.CompareOrdinal(a.Word, b.Word));
        return words.Take(MaxWordsPerCharacter).Select(word => word.Word).ToArray();
    }

    /// <summary>Two Han characters of the Basic Multilingual Plane (the rare characters beyond it are left out).</summary>
    private static bool IsTwoHan(char first, char second) =>
        !char.IsSurrogate(first) && !char.IsSurrogate(second)
        && HanCharacters.IsHan(new Rune(first)) && HanCharacters.IsHan(new Rune(second));
}
