using System.Text;

namespace KnowledgeQa.Retrieval.Lexical;

/// <summary>
/// jieba's two-character dictionary words, listed under each of their characters, most frequent
/// first: the words a lone character of a question may stand for in a passage (充 → 充电, 补充, 充满).
/// Gathered from the segmenter's dictionary on first use only, so English-only processes never pay for it.
/// </summary>
internal static class ChineseCharacterWords
{
    /// <summary>At most this many words per character: enough for 充 to reach 充电 (its tenth most frequent word), few enough to keep a query short.</summary>
    public const int MaxWordsPerCharacter = 48;

    private static readonly Lock Gate = new();
    private static Dictionary<char, string[]>? _byCharacter;

    /// <summary>The words that hold the character (Simplified), most frequent first; empty when none.</summary>
    public static IReadOnlyList<string> Containing(char character, string? dictionaryDirectory)
    {
        var byCharacter = Volatile.Read(ref _byCharacter);
        if (byCharacter is null)
        {
            lock (Gate)
            {
                if (_byCharacter is null)
                {
                    Volatile.Write(ref _byCharacter, Load(dictionaryDirectory));
                }
                byCharacter = _byCharacter;
            }
        }
        return byCharacter.TryGetValue(character, out var words) ? words : [];
    }

    private static Dictionary<char, string[]> Load(string? dictionaryDirectory)
    {
        // From the segmenter's own trie: reading dict.txt a second time cost 0.14-0.3 CPU-seconds.
        var byCharacter = new Dictionary<char, List<(string Word, int Frequency)>>();
        foreach (var (word, frequency, isName) in ChineseWordSegmenter.TwoCharacterWords(dictionaryDirectory))
        {
            if (isName || !IsTwoHan(word[0], word[1]))
            {
                continue;
            }
            Add(byCharacter, word[0], word, frequency);
            Add(byCharacter, word[1], word, frequency);
        }
        var result = new Dictionary<char, string[]>(byCharacter.Count);
        foreach (var (character, words) in byCharacter)
        {
            words.Sort((a, b) => a.Frequency != b.Frequency ? b.Frequency.CompareTo(a.Frequency) : string.CompareOrdinal(a.Word, b.Word));
            var count = Math.Min(words.Count, MaxWordsPerCharacter);
            var top = new string[count];
            for (var i = 0; i < count; i++)
            {
                top[i] = words[i].Word;
            }
            result[character] = top;
        }
        return result;
    }

    private static void Add(Dictionary<char, List<(string Word, int Frequency)>> byCharacter, char character, string word, int frequency)
    {
        if (!byCharacter.TryGetValue(character, out var words))
        {
            byCharacter[character] = words = [];
        }
        words.Add((word, frequency));
    }

    /// <summary>Two Han characters of the Basic Multilingual Plane (the rare characters beyond it are left out).</summary>
    private static bool IsTwoHan(char first, char second) =>
        !char.IsSurrogate(first) && !char.IsSurrogate(second)
        && HanCharacters.IsHan(new Rune(first)) && HanCharacters.IsHan(new Rune(second));
}
