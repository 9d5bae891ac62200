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
    private const int NoNode = -1;

    // Open addressing over (parent + 1) << 16 | character; 0 marks an empty slot.
    private ulong[] _keys;
    private int[] _children;
    private int _mask;
    private int _shift;
    private int[] _frequencies;
    private bool[] _names;
    private int _nodeCount;

    private JiebaDictionary(int expectedNodes)
    {
        var capacity = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(1024, expectedNodes / 2 * 3));
        _keys = new ulong[capacity];
        _children = new int[capacity];
        SizeTo(capacity);
        _frequencies = new int[Math.Max(1024, expectedNodes)];
        _names = new bool[_frequencies.Length];
        _nodeCount = 1; // the root, the empty prefix
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
            var found = _keys[slot];
            if (found == key)
            {
                return _children[slot];
            }
            if (found == 0)
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
        Span<char> word = stackalloc char[256];
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
            var length = System.Text.Encoding.UTF8.GetChars(line[..space], word.Length >= space ? word : new char[space]);
            Add(word[..length], frequency, IsName(partOfSpeech));
        }
    }

    /// <summary>
    /// The dictionary's two-character words (frequency above zero), with whether jieba tags them as a
    /// person, place or organisation name; read from the trie's table, not the file again.
    /// </summary>
    public IEnumerable<(string Word, int Frequency, bool IsName)> TwoCharacterWords()
    {
        // A key is (parent + 1) << 16 | character: the root's children have parent 0.
        var firstCharacters = new Dictionary<int, char>();
        for (var slot = 0; slot < _keys.Length; slot++)
        {
            if (_keys[slot] != 0 && (_keys[slot] >> 16) == (ulong)(Root + 1))
            {
                firstCharacters[_children[slot]] = (char)_keys[slot];
            }
        }
        for (var slot = 0; slot < _keys.Length; slot++)
        {
            var key = _keys[slot];
            if (key == 0 || !firstCharacters.TryGetValue((int)(key >> 16) - 1, out var first))
            {
                continue;
            }
            var node = _children[slot];
            if (_frequencies[node] > 0)
            {
                yield return (string.Create(2, (first, (char)key), static (span, pair) => (span[0], span[1]) = pair), _frequencies[node], _names[node]);
            }
        }
    }

    /// <summary>jieba's part-of-speech tags for names: nr (person), ns (place), nt (organisation), and their kinds.</summary>
    private static bool IsName(ReadOnlySpan<byte> partOfSpeech) =>
        partOfSpeech.Length >= 2 && partOfSpeech[0] == (byte)'n' && partOfSpeech[1] is (byte)'r' or (byte)'s' or (byte)'t';

    private void Add(ReadOnlySpan<char> word, int frequency, bool isName)
    {
        Total += frequency;
        if (word.IsEmpty)
        {
            return;
        }
        var node = Root;
        foreach (var character in word)
        {
            node = ChildOrNew(node, character);
        }
        // A later line for the same word replaces its frequency (its Total share stays counted).
        _frequencies[node] = frequency;
        _names[node] = isName;
    }

    private int ChildOrNew(int node, char character)
    {
        var key = KeyOf(node, character);
        var slot = Slot(key);
        for (; ; slot = (slot + 1) & _mask)
        {
            var found = _keys[slot];
            if (found == key)
            {
                return _children[slot];
            }
            if (found == 0)
            {
                break;
            }
        }
        var child = _nodeCount++;
        if (child == _frequencies.Length)
        {
            Array.Resize(ref _frequencies, _frequencies.Length * 2);
            Array.Resize(ref _names, _frequencies.Length);
        }
        _keys[slot] = key;
        _children[slot] = child;
        if (_nodeCount * 10 > _keys.Length * 7)
        {
            Grow();
        }
        return child;
    }

    private void Grow()
    {
        var oldKeys = _keys;
        var oldChildren = _children;
        _keys = new ulong[oldKeys.Length * 2];
        _children = new int[oldKeys.Length * 2];
        SizeTo(_keys.Length);
        for (var i = 0; i < oldKeys.Length; i++)
        {
            if (oldKeys[i] == 0)
            {
                continue;
            }
            var slot = Slot(oldKeys[i]);
            while (_keys[slot] != 0)
            {
                slot = (slot + 1) & _mask;
            }
            _keys[slot] = oldKeys[i];
            _children[slot] = oldChildren[i];
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
