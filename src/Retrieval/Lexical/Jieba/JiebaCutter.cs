using System.Buffers;
using System.Text.RegularExpressions;

namespace KnowledgeQa.Retrieval.Lexical.Jieba;

/// <summary>
/// jieba's accurate mode with its hidden Markov model (jieba.NET's <c>Cut(text, cutAll: false, hmm: true)</c>),
/// word for word: the dictionary's most probable path through each block of Chinese (and ASCII word)
/// characters, with the runs of single characters that the dictionary does not know as one word
/// handed to the model. The index holds these words, so the cut must not drift from the one stores
/// were built with; a test compares it with jieba.NET on real Chinese passages.
/// </summary>
internal sealed partial class JiebaCutter
{
    private readonly JiebaDictionary _dictionary;
    private readonly Lazy<JiebaHmm> _hmm;
    private readonly double _logTotal;

    public JiebaCutter(JiebaDictionary dictionary, Func<JiebaHmm> loadHmm)
    {
        _dictionary = dictionary;
        _hmm = new Lazy<JiebaHmm>(loadHmm, LazyThreadSafetyMode.ExecutionAndPublication);
        _logTotal = Math.Log(dictionary.Total);
    }

    /// <summary>Whether the dictionary holds the word (the model's made-up words are not in it).</summary>
    public bool IsDictionaryWord(ReadOnlySpan<char> word) => _dictionary.ContainsWord(word);

    /// <summary>The dictionary's two-character words that hold the character.</summary>
    public List<(string Word, int Frequency, bool IsName)> TwoCharacterWordsWith(char character) => _dictionary.TwoCharacterWordsWith(character);

    /// <summary>The words of the text, in order, covering every character.</summary>
    public List<string> Cut(string text)
    {
        var words = new List<string>();
        var start = 0;
        while (start < text.Length)
        {
            var inBlock = IsBlockCharacter(text[start]);
            var end = start + 1;
            while (end < text.Length && IsBlockCharacter(text[end]) == inBlock)
            {
                end++;
            }
            if (inBlock)
            {
                CutBlock(text, start, end - start, words);
            }
            else
            {
                AddOther(text, start, end, words);
            }
            start = end;
        }
        return words;
    }

    /// <summary>jieba's block pattern [\u4E00-\u9FD5a-zA-Z0-9+#&amp;._%·-]: what its dictionary path may join.</summary>
    private static bool IsBlockCharacter(char c) =>
        c is >= '\u4E00' and <= '\u9FD5' or >= 'a' and <= 'z' or >= 'A' and <= 'Z' or >= '0' and <= '9'
            or '+' or '#' or '&' or '.' or '_' or '%' or '·' or '-';

    /// <summary>Outside blocks jieba gives each character alone, and whitespace ("\r\n" as one) as it is.</summary>
    private static void AddOther(string text, int start, int end, List<string> words)
    {
        for (var i = start; i < end; i++)
        {
            if (text[i] == '\r' && i + 1 < end && text[i + 1] == '\n')
            {
                words.Add("\r\n");
                i++;
            }
            else
            {
                words.Add(text.Substring(i, 1));
            }
        }
    }

    private void CutBlock(string text, int start, int length, List<string> words)
    {
        var block = text.AsSpan(start, length);
        var rentedScores = length < 512 ? null : ArrayPool<double>.Shared.Rent(length + 1);
        var rentedEnds = length < 512 ? null : ArrayPool<int>.Shared.Rent(length);
        var scores = rentedScores is null ? stackalloc double[length + 1] : rentedScores.AsSpan(0, length + 1);
        var ends = rentedEnds is null ? stackalloc int[length] : rentedEnds.AsSpan(0, length);
        try
        {
            BestPath(block, scores, ends);
            var bufferStart = -1;
            var x = 0;
            while (x < length)
            {
                var y = ends[x] + 1;
                if (y - x == 1)
                {
                    if (bufferStart < 0)
                    {
                        bufferStart = x;
                    }
                }
                else
                {
                    if (bufferStart >= 0)
                    {
                        AddSingles(text, start + bufferStart, x - bufferStart, words);
                        bufferStart = -1;
                    }
                    words.Add(text.Substring(start + x, y - x));
                }
                x = y;
            }
            if (bufferStart >= 0)
            {
                AddSingles(text, start + bufferStart, length - bufferStart, words);
            }
        }
        finally
        {
            if (rentedScores is not null)
            {
                ArrayPool<double>.Shared.Return(rentedScores);
                ArrayPool<int>.Shared.Return(rentedEnds!);
            }
        }
    }

    /// <summary>
    /// For each position, the end of the word that starts the most probable path from there
    /// (log frequency over the total, summed), computed right to left as jieba's route is; on a tie
    /// the shorter word wins, as in jieba.NET.
    /// </summary>
    private void BestPath(ReadOnlySpan<char> block, Span<double> scores, Span<int> ends)
    {
        var length = block.Length;
        scores[length] = 0.0;
        for (var i = length - 1; i >= 0; i--)
        {
            var best = double.MinValue;
            var bestEnd = -1;
            var node = JiebaDictionary.RootNode;
            for (var j = i; j < length; j++)
            {
                node = _dictionary.Child(node, block[j]);
                if (node < 0)
                {
                    break;
                }
                var frequency = _dictionary.Frequency(node);
                if (frequency <= 0)
                {
                    continue;
                }
                var score = Math.Log(frequency) - _logTotal + scores[j + 1];
                if (best < score)
                {
                    best = score;
                    bestEnd = j;
                }
            }
            if (bestEnd < 0)
            {
                // Not a word itself: jieba counts the character once (log 1 = 0).
                best = 0.0 - _logTotal + scores[i + 1];
                bestEnd = i;
            }
            scores[i] = best;
            ends[i] = bestEnd;
        }
    }

    /// <summary>A run of single-character steps: kept apart when the run is a dictionary word, else the model cuts it.</summary>
    private void AddSingles(string text, int start, int length, List<string> words)
    {
        var run = text.AsSpan(start, length);
        if (length == 1 || _dictionary.ContainsWord(run))
        {
            for (var i = 0; i < length; i++)
            {
                words.Add(text.Substring(start + i, 1));
            }
            return;
        }
        CutWithModel(text, start, length, words);
    }

    /// <summary>The model cuts the Han parts; other parts split into ASCII words and numbers (3.5%) and what lies between, as jieba does.</summary>
    private void CutWithModel(string text, int start, int length, List<string> words)
    {
        var end = start + length;
        var i = start;
        while (i < end)
        {
            var han = IsModelHan(text[i]);
            var j = i + 1;
            while (j < end && IsModelHan(text[j]) == han)
            {
                j++;
            }
            if (han)
            {
                _hmm.Value.Cut(text.AsSpan(i, j - i), text, i, words);
            }
            else
            {
                foreach (var piece in AsciiWordOrNumber().Split(text.Substring(i, j - i)))
                {
                    if (piece.Length > 0)
                    {
                        words.Add(piece);
                    }
                }
            }
            i = j;
        }
    }

    private static bool IsModelHan(char c) => c is >= '\u4E00' and <= '\u9FD5';

    [GeneratedRegex(@"([a-zA-Z0-9]+(?:\.\d+)?%?)")]
    private static partial Regex AsciiWordOrNumber();
}
