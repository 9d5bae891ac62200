using System.Text.Json;

namespace KnowledgeQa.Retrieval.Lexical.Jieba;

/// <summary>
/// jieba's hidden Markov model for runs of characters the dictionary does not join into words:
/// each character is the Begin, Middle or End of a word or a Single-character word, and the most
/// likely sequence (Viterbi) marks the words. The tables are jieba's (prob_trans.json,
/// prob_emit.json); the start probabilities are the constants jieba.NET compiles in.
/// </summary>
internal sealed class JiebaHmm
{
    private const int B = 0, M = 1, E = 2, S = 3, StateCount = 4;

    /// <summary>jieba's "impossible" log probability, used for every pair the tables lack.</summary>
    private const double MinProbability = -3.14E+100;

    private static readonly double[] StartProbabilities = [-0.26268660809250016, MinProbability, MinProbability, -1.4652633398537678];

    // The states a state may follow, in the order jieba.NET tries them; on a tie the later one wins.
    private static readonly int[][] Previous = [[E, S], [M, B], [B, M], [S, E]]; // B, M, E, S

    private readonly double[] _transitions;   // [from * 4 + to]
    private readonly double[][] _emissions;   // [state][character]

    private JiebaHmm(double[] transitions, double[][] emissions)
    {
        _transitions = transitions;
        _emissions = emissions;
    }

    /// <summary>Reads the two tables; a file that is not jieba's JSON shape is a clear error naming it.</summary>
    public static JiebaHmm Load(string transitionsFile, string emissionsFile)
    {
        var transitions = new double[StateCount * StateCount];
        Array.Fill(transitions, MinProbability);
        ReadTable(transitionsFile, (from, key, value) =>
        {
            if (key.Length != 1 || StateOf(key[0]) is not { } to)
            {
                throw Malformed(transitionsFile, $"'{key.ToString()}' is not a state (B, M, E or S)");
            }
            transitions[from * StateCount + to] = value;
        });
        var emissions = new double[StateCount][];
        for (var state = 0; state < StateCount; state++)
        {
            emissions[state] = new double[char.MaxValue + 1];
            Array.Fill(emissions[state], MinProbability);
        }
        ReadTable(emissionsFile, (state, key, value) =>
        {
            if (key.Length != 1)
            {
                throw Malformed(emissionsFile, $"'{key.ToString()}' is not one character");
            }
            emissions[state][key[0]] = value;
        });
        return new JiebaHmm(transitions, emissions);
    }

    /// <summary>Exposed for the test that compares the tables with jieba.NET's own reading of the files.</summary>
    internal double Transition(char from, char to) => _transitions[StateOf(from)!.Value * StateCount + StateOf(to)!.Value];

    /// <summary>Exposed for the same test.</summary>
    internal double Emission(char state, char character) => _emissions[StateOf(state)!.Value][character];

    /// <summary>Splits a run of Han characters (at least two) into the words the model finds most likely.</summary>
    public void Cut(ReadOnlySpan<char> run, string source, int offset, List<string> words)
    {
        var length = run.Length;
        var backPointers = length <= 256 ? stackalloc byte[length * StateCount] : new byte[length * StateCount];
        Span<double> previous = stackalloc double[StateCount];
        Span<double> current = stackalloc double[StateCount];
        for (var state = 0; state < StateCount; state++)
        {
            previous[state] = StartProbabilities[state] + _emissions[state][run[0]];
        }
        for (var t = 1; t < length; t++)
        {
            for (var state = 0; state < StateCount; state++)
            {
                var emission = _emissions[state][run[t]];
                var best = double.MinValue;
                var bestFrom = 0;
                foreach (var from in Previous[state])
                {
                    // Summed in jieba.NET's order, so that ties and roundings fall the same way.
                    var score = previous[from] + _transitions[from * StateCount + state] + emission;
                    if (best <= score)
                    {
                        best = score;
                        bestFrom = from;
                    }
                }
                current[state] = best;
                backPointers[t * StateCount + state] = (byte)bestFrom;
            }
            current.CopyTo(previous);
        }
        var last = previous[E] < previous[S] ? S : E;
        Span<byte> states = length <= 256 ? stackalloc byte[length] : new byte[length];
        for (var t = length - 1; t >= 0; t--)
        {
            states[t] = (byte)last;
            last = backPointers[t * StateCount + last];
        }
        var begin = 0;
        var next = 0;
        for (var t = 0; t < length; t++)
        {
            switch (states[t])
            {
                case B:
                    begin = t;
                    break;
                case E:
                    words.Add(source.Substring(offset + begin, t + 1 - begin));
                    next = t + 1;
                    break;
                case S:
                    words.Add(source.Substring(offset + t, 1));
                    next = t + 1;
                    break;
            }
        }
        if (next < length)
        {
            words.Add(source.Substring(offset + next, length - next));
        }
    }

    private static int? StateOf(char name) => name switch
    {
        'B' => B,
        'M' => M,
        'E' => E,
        'S' => S,
        _ => null,
    };

    /// <summary>Reads {"B": {"key": number, ...}, ...} and hands each entry over with its state.</summary>
    private static void ReadTable(string file, TableEntry entry)
    {
        Span<char> key = stackalloc char[16];
        var reader = new Utf8JsonReader(File.ReadAllBytes(file), new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip });
        try
        {
            Expect(ref reader, JsonTokenType.StartObject, file);
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var stateName = reader.GetString()!;
                if (stateName.Length != 1 || StateOf(stateName[0]) is not { } state)
                {
                    throw Malformed(file, $"'{stateName}' is not a state (B, M, E or S)");
                }
                Expect(ref reader, JsonTokenType.StartObject, file);
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    // Copied into a buffer: 35,000 keys, each one character, need no string of their own.
                    var keyLength = reader.ValueSpan.Length > key.Length * 3 ? throw Malformed(file, "a key longer than one character") : reader.CopyString(key);
                    Expect(ref reader, JsonTokenType.Number, file);
                    entry(state, key[..keyLength], reader.GetDouble());
                }
            }
        }
        catch (JsonException e)
        {
            throw Malformed(file, e.Message);
        }
    }

    private delegate void TableEntry(int state, ReadOnlySpan<char> key, double value);

    private static void Expect(ref Utf8JsonReader reader, JsonTokenType type, string file)
    {
        if (!reader.Read() || reader.TokenType != type)
        {
            throw Malformed(file, $"expected {type} at byte {reader.TokenStartIndex}");
        }
    }

    private static KnowledgeQaException Malformed(string file, string what) =>
        new($"jieba model file '{file}' is not jieba's table of log probabilities ({what}); restore it from the jieba.NET package.");
}
