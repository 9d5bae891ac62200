using System.Globalization;
using System.Numerics;

namespace KnowledgeQa.Retrieval.Lexical.Jieba;

/// <summary>
/// jieba's word dictionary (dict.txt: "word frequency part-of-speech" per line) as a prefix trie:
/// every prefix of every word is a node, and a node is a word when its frequency is above zero,
/// which is the lookup jieba's cut makes (extend a fragment while it is a known prefix).
/// </summary>
/// <remarks>
/// jieba.NET keeps the same table as a Dictionary of 580,000 strings and builds it line by line
/// from decoded text, which cost about 0.75 CPU-seconds before the first Chinese word could be cut.
/// Here the file's bytes are read once, and a child is found by hashing (parent node, character)
/// into one open-addressing table, so loading allocates a few arrays instead of a string per prefix.
/// </remarks>
internal sealed class JiebaDictionary
{
    private const int Root = 0;
    private const int MaxReusedLength = 256;
    private const int NoNode = -1;

    // Open addressing; a slot packs its key, (parent + 1) << 16 | character, above the child's node
    // number (24 bits), so a lookup reads one array; 0 marks an empty slot.
    private const int ChildBits = 24;
    private const ulong ChildMask = (1UL << ChildBits) - 1;
    private ulong[] _slots;
    private int _mask;
    private int _shift;
    private int[] _frequencies;
    private bool[] _names;
    private int _nodeCount;
    private readonly Lazy<Dictionary<int, char>> _firstCharacters;

    private JiebaDictionary(int expectedNodes)
    {
        var capacity = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(1024, expectedNodes / 2 * 3));
        _slots = new ulong[capacity];
        SizeTo(capacity);
        _frequencies = new int[Math.Max(1024, expectedNodes)];
        _names = new bool[_frequencies.Length];
        _nodeCount = 1; // the root, the empty prefix
        _firstCharacters = new Lazy<Dictionary<int, char>>(FindFirstCharacters, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>The sum of all frequencies in the file (duplicate lines counted each time, as jieba does).</summary>
    public double Total { get; private set; }

    /// <summary>Distinct prefixes held (the root excluded).</summary>
    public int PrefixCount => _nodeCount - 1;

    /// <summary>Reads dict.txt; a line that is not "word frequency [tag]" is a clear error naming the file and line.</summary>
    public static JiebaDictionary Load(string dictionaryFile)
    {
        var bytes = File.ReadAllBytes(dictionaryFile);
        // About one node per nine bytes of the file, measured on jieba's dict.txt (5.4 MB, 580,000 prefixes).
        var dictionary = new JiebaDictionary(bytes.Length / 9);
        dictionary.Parse(bytes, dictionaryFile);
        return dictionary;
    }

    /// <summary>The node one character below <paramref name="node"/>, or -1; start from <see cref="RootNode"/>.</summary>
    public int Child(int node, char character)
    {
        var key = KeyOf(node, character);
        for (var slot = Slot(key); ; slot = (slot + 1) & _mask)
        {
            var entry = _slots[slot];
            if (entry >> ChildBits == key)
            {
                return (int)(entry & ChildMask);
            }
            if (entry == 0)
            {
                return NoNode;
            }
        }
    }

    /// <summary>The empty prefix every lookup starts from.</summary>
    public static int RootNode => Root;

    /// <summary>The word's frequency when the node is a word, 0 when it is only a prefix of words.</summary>
    public int Frequency(int node) => _frequencies[node];

    /// <summary>Whether the text is a word of the dictionary (frequency above zero), not only a prefix of one.</summary>
    public bool ContainsWord(ReadOnlySpan<char> word)
    {
        var node = Root;
        foreach (var character in word)
        {
            node = Child(node, character);
            if (node == NoNode)
            {
                return false;
            }
        }
        return word.Length > 0 && _frequencies[node] > 0;
    }

    private void Parse(ReadOnlySpan<byte> bytes, string dictionaryFile)
    {
        Span<char> word = stackalloc char[MaxReusedLength];
        // dict.txt is sorted, so a word mostly starts with the previous one's prefix (half of all
        // characters): its nodes are taken from the previous word's path instead of looked up again.
        Span<char> previous = stackalloc char[MaxReusedLength];
        Span<int> path = stackalloc int[MaxReusedLength];
        var previousLength = 0;
        var lineNumber = 0;
        while (bytes.Length > 0)
        {
            lineNumber++;
            var end = bytes.IndexOf((byte)'\n');
            var line = end < 0 ? bytes : bytes[..end];
            bytes = end < 0 ? [] : bytes[(end + 1)..];
            if (lineNumber == 1 && line.StartsWith("\uFEFF"u8))
            {
                line = line[3..];
            }
            line = line.TrimEnd((byte)'\r');
            // jieba splits on single spaces and skips a line without a second field.
            var space = line.IndexOf((byte)' ');
            if (space < 0)
            {
                continue;
            }
            var rest = line[(space + 1)..];
            var nextSpace = rest.IndexOf((byte)' ');
            var frequencyText = nextSpace < 0 ? rest : rest[..nextSpace];
            if (!int.TryParse(frequencyText, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var frequency))
            {
                throw new KnowledgeQaException(
                    $"jieba dictionary '{dictionaryFile}' line {lineNumber}: '{System.Text.Encoding.UTF8.GetString(frequencyText)}' is not a word frequency. " +
                    "Each line must be 'word frequency [part-of-speech]'; restore the file from the jieba.NET package.");
            }
            var partOfSpeech = nextSpace < 0 ? [] : rest[(nextSpace + 1)..];
            var current = Decode(line[..space], word);
            Total += frequency;
            if (current.IsEmpty)
            {
                continue;
            }
            var shared = current.Length <= MaxReusedLength ? current.CommonPrefixLength(previous[..previousLength]) : 0;
            var node = shared == 0 ? Root : path[shared - 1];
            for (var i = shared; i < current.Length; i++)
            {
                node = ChildOrNew(node, current[i]);
                if (i < MaxReusedLength)
                {
                    path[i] = node;
                }
            }
            // A later line for the same word replaces its frequency (its Total share stays counted).
            _frequencies[node] = frequency;
            _names[node] = IsName(partOfSpeech);
            previousLength = current.Length <= MaxReusedLength ? current.Length : 0;
            current[..previousLength].CopyTo(previous);
        }
    }

    /// <summary>The word's characters, in the buffer when they fit (a UTF-8 byte is at most one character).</summary>
    private static Span<char> Decode(ReadOnlySpan<byte> utf8, Span<char> buffer)
    {
        var target = buffer.Length >= utf8.Length ? buffer : new char[utf8.Length];
        return target[..System.Text.Encoding.UTF8.GetChars(utf8, target)];
    }

    /// <summary>
    /// The dictionary's two-character words (frequency above zero) that hold <paramref name="character"/>,
    /// each once, with whether jieba tags it as a person, place or organisation name. Read from the
    /// trie's table (one pass over it), not from the file again.
    /// </summary>
    public List<(string Word, int Frequency, bool IsName)> TwoCharacterWordsWith(char character)
    {
        var asFirst = Child(Root, character);
        var firstCharacters = _firstCharacters.Value;
        var words = new List<(string Word, int Frequency, bool IsName)>();
        foreach (var entry in _slots)
        {
            if (entry == 0)
            {
                continue;
            }
            var key = entry >> ChildBits;
            var parent = (int)(key >> 16) - 1;
            var second = (char)key;
            char first;
            if (asFirst >= 0 && parent == asFirst)
            {
                first = character;
            }
            else if (second != character || !firstCharacters.TryGetValue(parent, out first))
            {
                continue;
            }
            var node = (int)(entry & ChildMask);
            if (_frequencies[node] > 0)
            {
                words.Add((string.Create(2, (first, second), static (span, pair) => (span[0], span[1]) = pair), _frequencies[node], _names[node]));
            }
        }
        return words;
    }

    /// <summary>The first character of every node one step below the root (a key's parent is then the root).</summary>
    private Dictionary<int, char> FindFirstCharacters()
    {
        var firstCharacters = new Dictionary<int, char>();
        foreach (var entry in _slots)
        {
            if (entry != 0 && (entry >> ChildBits >> 16) == (ulong)(Root + 1))
            {
                firstCharacters[(int)(entry & ChildMask)] = (char)(entry >> ChildBits);
            }
        }
        return firstCharacters;
    }

    /// <summary>jieba's part-of-speech tags for names: nr (person), ns (place), nt (organisation), and their kinds.</summary>
    private static bool IsName(ReadOnlySpan<byte> partOfSpeech) =>
        partOfSpeech.Length >= 2 && partOfSpeech[0] == (byte)'n' && partOfSpeech[1] is (byte)'r' or (byte)'s' or (byte)'t';

    private int ChildOrNew(int node, char character)
    {
        var key = KeyOf(node, character);
        var slot = Slot(key);
        for (; ; slot = (slot + 1) & _mask)
        {
            var entry = _slots[slot];
            if (entry >> ChildBits == key)
            {
                return (int)(entry & ChildMask);
            }
            if (entry == 0)
            {
                break;
            }
        }
        if (_nodeCount > (int)ChildMask - 1)
        {
            throw new KnowledgeQaException($"A jieba dictionary of more than {ChildMask - 1:N0} word prefixes is too large for this segmenter; use a smaller dictionary file.");
        }
        var child = _nodeCount++;
        if (child == _frequencies.Length)
        {
            Array.Resize(ref _frequencies, _frequencies.Length * 2);
            Array.Resize(ref _names, _frequencies.Length);
        }
        _slots[slot] = key << ChildBits | (uint)child;
        if (_nodeCount * 10L > _slots.Length * 7L)
        {
            Grow();
        }
        return child;
    }

    private void Grow()
    {
        var old = _slots;
        _slots = new ulong[old.Length * 2];
        SizeTo(_slots.Length);
        foreach (var entry in old)
        {
            if (entry == 0)
            {
                continue;
            }
            var slot = Slot(entry >> ChildBits);
            while (_slots[slot] != 0)
            {
                slot = (slot + 1) & _mask;
            }
            _slots[slot] = entry;
        }
    }

    private void SizeTo(int capacity)
    {
        _mask = capacity - 1;
        _shift = 64 - BitOperations.Log2((uint)capacity);
    }

    private static ulong KeyOf(int node, char character) => ((ulong)(uint)(node + 1) << 16) | character;

    // Fibonacci hashing spreads the consecutive node numbers of one word's prefixes over the table.
    private int Slot(ulong key) => (int)((key * 0x9E3779B97F4A7C15UL) >> _shift);
}
