using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Unicode;

namespace KnowledgeQa.Retrieval.Lexical;

/// <summary>
/// jieba's two-character dictionary words, listed under each of their characters, most frequent
/// first: the words a lone character of a question may stand for in a passage (充 → 充电, 补充, 充满).
/// Read from the dictionary file on first use only, so English-only processes never pay for it.
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
                    Volatile.Write(ref _byCharacter, Load(ChineseWordSegmenter.DictionaryFile(dictionaryDirectory)));
                }
                byCharacter = _byCharacter;
            }
        }
        return byCharacter.TryGetValue(character, out var words) ? words : [];
    }

    private static Dictionary<char, string[]> Load(string dictionaryFile)
    {
        var byCharacter = new Dictionary<char, List<(string Word, int Frequency)>>();
        // The file's bytes, sliced: a Han character of the Basic Multilingual Plane is three bytes of
        // UTF-8, so a two-character word is the lines whose seventh byte is the space. Decoding the
        // whole 5.4 MB file and a string per line cost 0.3-0.4 CPU-seconds on the first question.
        ReadOnlySpan<byte> bytes = File.ReadAllBytes(dictionaryFile);
        Span<char> word = stackalloc char[2];
        while (bytes.Length > 0)
        {
            var end = bytes.IndexOf((byte)'\n');
            var line = end < 0 ? bytes : bytes[..end];
            bytes = end < 0 ? [] : bytes[(end + 1)..];
            // "word frequency part-of-speech"
            if (line.Length < 8 || line[6] != (byte)' ' || !IsTwoCharacters(line[..6], word) || !IsTwoHan(word[0], word[1]))
            {
                continue;
            }
            var rest = line[7..].TrimEnd((byte)'\r');
            var space = rest.IndexOf((byte)' ');
            var frequencyText = space < 0 ? rest : rest[..space];
            var partOfSpeech = space < 0 ? ReadOnlySpan<byte>.Empty : rest[(space + 1)..];
            if (!int.TryParse(frequencyText, NumberStyles.None, CultureInfo.InvariantCulture, out var frequency) || IsName(partOfSpeech))
            {
                continue;
            }
            var text = word.ToString();
            Add(byCharacter, text[0], text, frequency);
            Add(byCharacter, text[1], text, frequency);
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

    /// <summary>Decodes six bytes into <paramref name="word"/>: true when they are exactly two characters.</summary>
    private static bool IsTwoCharacters(ReadOnlySpan<byte> sixBytes, Span<char> word) =>
        Utf8.ToUtf16(sixBytes, word, out var read, out var written) == OperationStatus.Done && read == 6 && written == 2;

    /// <summary>Two Han characters of the Basic Multilingual Plane (the rare characters beyond it are left out).</summary>
    private static bool IsTwoHan(char first, char second) =>
        !char.IsSurrogate(first) && !char.IsSurrogate(second)
        && HanCharacters.IsHan(new Rune(first)) && HanCharacters.IsHan(new Rune(second));

    /// <summary>Person, place and organisation names (nr, ns, nt...): a lone character of a question is rarely short for one.</summary>
    private static bool IsName(ReadOnlySpan<byte> partOfSpeech) =>
        partOfSpeech.Length >= 2 && partOfSpeech[0] == (byte)'n' && partOfSpeech[1] is (byte)'r' or (byte)'s' or (byte)'t';
}
